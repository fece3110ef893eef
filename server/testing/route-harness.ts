import { readdirSync } from "node:fs";
import path from "node:path";

// The public HTTP routes, found in app/api (every route.ts), and one way to call them: the route
// module's exported handler with a real Request, the way Next calls it. Tests that sweep every
// route (fuzzing, boundaries) build their calls here, so authentication (today a Bearer API key)
// is added in one place.

export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
type RouteHandler = (request: Request, context: { params: Promise<Record<string, string | string[]>> }) => Promise<Response> | Response;

export interface ApiRoute {
  /** e.g. `/api/dead-letters/[id]/redrive` */
  pattern: string;
  /** Dynamic segments in order; `catchAll` ones (`[...key]`) take a list. */
  segments: { name: string; catchAll: boolean }[];
  handlers: Partial<Record<HttpMethod, RouteHandler>>;
}

const APP_API = path.resolve(import.meta.dirname, "..", "..", "app", "api");

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return routeFiles(full);
    return entry.name === "route.ts" ? [full] : [];
  });
}

/**
 * Routes that are not ours to shape: Better Auth's handler under /api/auth answers in its own
 * format (its sign-in limits and errors are tested in server/auth/sign-in.test.ts).
 */
const FOREIGN_ROUTES = new Set(["auth/[...all]"]);

/** Every route under app/api with the methods it exports. */
export async function discoverApiRoutes(): Promise<ApiRoute[]> {
  const routes: ApiRoute[] = [];
  for (const file of routeFiles(APP_API).sort()) {
    const relative = path.relative(APP_API, path.dirname(file)).split(path.sep).filter(Boolean);
    if (FOREIGN_ROUTES.has(relative.join("/"))) continue;
    const module = (await import(/* @vite-ignore */ file)) as Partial<Record<HttpMethod, RouteHandler>>;
    const handlers: ApiRoute["handlers"] = {};
    for (const method of HTTP_METHODS) if (typeof module[method] === "function") handlers[method] = module[method];
    routes.push({
      pattern: `/api/${relative.join("/")}`.replace(/\/$/, ""),
      segments: relative.filter((s) => s.startsWith("[")).map((s) => ({ name: s.replace(/^\[(\.\.\.)?|\]$/g, ""), catchAll: s.startsWith("[...") })),
      handlers,
    });
  }
  return routes;
}

export interface RouteCall {
  /** Values of the dynamic segments, decoded (as Next passes them). */
  params?: Record<string, string | string[]>;
  /** Appended to the URL as given (already encoded), e.g. `subject=a%00b`. */
  rawQuery?: string;
  /** Replaces the URL's path as given (already encoded), for malformed escapes. */
  rawPath?: string;
  body?: string;
  contentType?: string;
  /** Default: the harness's API key. null: no Authorization header. */
  apiKey?: string | null;
}

// A lone surrogate has no UTF-8 form; in the URL it becomes U+FFFD, while `params` keeps it as is.
function encodeSegment(value: string): string {
  return encodeURIComponent(value.replace(/\p{Cs}/gu, "\uFFFD"));
}

export function routeRequester(defaultApiKey: string) {
  return async function callRoute(route: ApiRoute, method: HttpMethod, call: RouteCall = {}): Promise<Response> {
    const handler = route.handlers[method];
    if (!handler) throw new Error(`${route.pattern} has no ${method} handler`);
    const params = call.params ?? {};
    const pathname =
      call.rawPath ??
      route.pattern.replace(/\[(\.\.\.)?([^\]]+)\]/g, (_m, _dots, name: string) => {
        const value = params[name] ?? "x";
        return (Array.isArray(value) ? value : [value]).map(encodeSegment).join("/");
      });
    const headers = new Headers();
    const apiKey = call.apiKey === undefined ? defaultApiKey : call.apiKey;
    if (apiKey !== null) headers.set("authorization", `Bearer ${apiKey}`);
    if (call.body !== undefined) headers.set("content-type", call.contentType ?? "application/json");
    const url = `http://localhost${pathname}${call.rawQuery ? `?${call.rawQuery}` : ""}`;
    const request = new Request(url, { method, headers, ...(call.body !== undefined ? { body: call.body } : {}) });
    return handler(request, { params: Promise.resolve(params) });
  };
}
