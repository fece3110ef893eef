import { errorResponse } from "./api-response";

// Next answers a method a route does not export with an empty 405. Routes export these instead,
// so a client learns what the endpoint accepts (body in the API's error shape, and `Allow`).
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
type Method = (typeof METHODS)[number];

export type MethodNotAllowedHandler = (() => Response) & { methodNotAllowed: true };

/** Handlers for every method; a route exports the ones it does not implement. */
export function methodNotAllowed(...allowed: Method[]): Record<Method, MethodNotAllowedHandler> {
  const allow = [...allowed, ...(allowed.includes("GET") ? ["HEAD"] : [])].join(", ");
  // Marked, so the route-access test tells these apart from handlers that forgot to declare access:
  // a 405 reveals nothing and needs no caller.
  const handler = Object.assign(() => errorResponse(405, `This endpoint accepts ${allowed.join(" and ")} only.`, undefined, { Allow: allow }), {
    methodNotAllowed: true as const,
  });
  return Object.fromEntries(METHODS.map((method) => [method, handler])) as Record<Method, MethodNotAllowedHandler>;
}
