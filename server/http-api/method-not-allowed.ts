import { errorResponse } from "./api-response";

// Next answers a method a route does not export with an empty 405. Routes export these instead,
// so a client learns what the endpoint accepts (body in the API's error shape, and `Allow`).
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
type Method = (typeof METHODS)[number];

/** Handlers for every method; a route exports the ones it does not implement. */
export function methodNotAllowed(...allowed: Method[]): Record<Method, () => Response> {
  const allow = [...allowed, ...(allowed.includes("GET") ? ["HEAD"] : [])].join(", ");
  const handler = () => errorResponse(405, `This endpoint accepts ${allowed.join(" and ")} only.`, undefined, { Allow: allow });
  return Object.fromEntries(METHODS.map((method) => [method, handler])) as Record<Method, () => Response>;
}
