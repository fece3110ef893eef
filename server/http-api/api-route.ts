import "server-only";
import { db } from "@/server/db/client";
import { env } from "@/server/env";
import { authenticateBearer, scopeAllows, type ApiKeyScope } from "@/server/auth/api-keys";
import { sessionFromHeaders, type SignedInUser } from "@/server/auth/session";
import { hasRole, type Role } from "@/server/auth/roles";
import type { Actor } from "@/server/audit/audit-log";
import { ApiError, checkParamsAndQuery, errorToResponse } from "./api-response";
import { webHeaders, type HttpRequest } from "./http-request";
import { checkHost, checkJsonBody, checkSameOrigin } from "./request-guard";

// The one HTTP route wrapper: every app/api route is built with `apiRoute` (declares the role a
// signed-in user needs and the scope an API key needs) or `anonymousRoute` (says in its name that
// it is open). Both apply the same surface checks: Host, cross-site mutations, JSON bodies.

/** Who is calling: a signed-in user (session cookie) or an API key (Bearer). */
export type Caller =
  | { kind: "user"; user: SignedInUser; actor: Actor }
  | { kind: "apiKey"; apiKey: { id: string; name: string; scope: string }; actor: Actor };

export interface RouteAccess {
  /** The weakest role a signed-in user needs. */
  role: Role;
  /** The scope an API key needs (`full` keys may call everything). */
  scope: ApiKeyScope;
}

type RouteContext<P> = { params: Promise<P> };
type Handler<P> = (request: Request, context: { params: P; caller: Caller }) => Promise<Response>;
export type RouteHandler<P> = ((request: Request, context: RouteContext<P>) => Promise<Response>) & {
  /** What the route requires; read by the test that proves every route refuses the wrong caller. */
  access: RouteAccess | "anonymous";
};

function surfaceRefusal(request: HttpRequest): ApiError | null {
  const publicUrl = env().SYNCLINE_PUBLIC_URL;
  // A Bearer-authenticated call carries no ambient credential a browser could forge cross-site, so
  // it may send other bodies (CloudEvents binary mode puts the event's data as the body).
  const bearer = request.headers.has("authorization");
  const refusal = checkHost(request, publicUrl) ?? checkSameOrigin(request, publicUrl) ?? (bearer ? null : checkJsonBody(request));
  return refusal ? new ApiError(refusal.status, refusal.message) : null;
}

/** The caller of a request, or null when it has neither a valid API key nor a session. */
async function authenticateRequest(request: HttpRequest): Promise<Caller | null> {
  const authorization = request.headers.get("authorization");
  if (authorization) {
    const apiKey = await authenticateBearer(db(), authorization);
    return apiKey ? { kind: "apiKey", apiKey, actor: { id: `apikey:${apiKey.id}`, label: `API key "${apiKey.name}"` } } : null;
  }
  if (!request.headers.get("cookie")) return null;
  const user = await sessionFromHeaders(db(), webHeaders(request.headers));
  return user ? { kind: "user", user, actor: { id: user.id, label: user.email } } : null;
}

function forbiddenFor(caller: Caller, access: RouteAccess): ApiError | null {
  if (caller.kind === "apiKey") {
    return scopeAllows(caller.apiKey.scope, access.scope)
      ? null
      : new ApiError(403, `This API key has the ${caller.apiKey.scope} scope; this call needs ${access.scope === "read" ? "read or full" : access.scope === "events:write" ? "events:write or full" : "full"}.`);
  }
  return hasRole(caller.user.role, access.role)
    ? null
    : new ApiError(403, `This needs the ${access.role} role or higher; you are ${caller.user.role}.`);
}

export function refusalFor(caller: Caller, access: RouteAccess): Response | null {
  const forbidden = forbiddenFor(caller, access);
  return forbidden ? errorToResponse(forbidden) : null;
}

/**
 * What every apiRoute checks before its handler runs: the surface (Host, cross-site, JSON
 * bodies), who is calling, and that they may. Returns the caller; a refusal is thrown as an
 * ApiError (421/403/415, 401 with WWW-Authenticate). The ingest fast path calls it too.
 */
export async function admitCall(request: HttpRequest, access: RouteAccess): Promise<Caller> {
  const refused = surfaceRefusal(request);
  if (refused) throw refused;
  const caller = await authenticateRequest(request);
  if (!caller) {
    throw new ApiError(401, "Sign in, or send a valid API key as `Authorization: Bearer <key>` (create keys under Settings).", undefined, {
      "WWW-Authenticate": 'Bearer realm="syncline"',
    });
  }
  const forbidden = forbiddenFor(caller, access);
  if (forbidden) throw forbidden;
  return caller;
}

export function apiRoute<P = Record<string, never>>(access: RouteAccess, handler: Handler<P>): RouteHandler<P> {
  const route = async (request: Request, context: RouteContext<P>): Promise<Response> => {
    try {
      const caller = await admitCall(request, access);
      const params = await context.params;
      checkParamsAndQuery(request, params);
      return await handler(request, { params, caller });
    } catch (error) {
      return errorToResponse(error);
    }
  };
  return Object.assign(route, { access });
}

/** A route anyone may call (assets fetched by marketplaces, the OpenAPI document, sign-in itself). */
export function anonymousRoute<P = Record<string, never>>(
  handler: (request: Request, context: { params: P; caller: Caller | null }) => Promise<Response>,
): RouteHandler<P> {
  const route = async (request: Request, context: RouteContext<P>): Promise<Response> => {
    try {
      const refused = surfaceRefusal(request);
      if (refused) return errorToResponse(refused);
      const caller = request.headers.get("authorization") || request.headers.get("cookie") ? await authenticateRequest(request) : null;
      const params = await (context?.params ?? Promise.resolve({} as P));
      checkParamsAndQuery(request, params);
      return await handler(request, { params, caller });
    } catch (error) {
      return errorToResponse(error);
    }
  };
  return Object.assign(route, { access: "anonymous" as const });
}
