// Checks every request passes before anything else looks at it (the proxy for pages, the route
// wrapper and the tRPC route for the API). Pure functions of the request and the configured
// origin, so they run in the proxy as well as in route handlers.

import type { HttpRequest } from "./http-request";

export interface GuardRefusal {
  status: number;
  message: string;
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * The Host header must name this deployment: SYNCLINE_PUBLIC_URL's host, or — when it is unset —
 * localhost / 127.0.0.1 on any port. Refusing other names stops DNS rebinding (a page on an
 * attacker's domain that resolves to 127.0.0.1 and reads the app as same-origin).
 */
export function checkHost(request: HttpRequest, publicUrl: string | undefined): GuardRefusal | null {
  const host = requestHost(request);
  if (publicUrl) {
    if (host === new URL(publicUrl).host.toLowerCase()) return null;
  } else {
    const name = host.replace(/:\d+$/, "");
    if (LOCAL_HOSTS.has(name)) return null;
  }
  return {
    status: 421,
    message: publicUrl
      ? `This server answers for ${new URL(publicUrl).host} only (SYNCLINE_PUBLIC_URL).`
      : "This server answers for localhost and 127.0.0.1 only; set SYNCLINE_PUBLIC_URL to serve it under another name.",
  };
}

/** The Host header; a Request made in-process (tests) has none, and then its URL says it. */
function requestHost(request: HttpRequest): string {
  return (request.headers.get("host") ?? new URL(request.url).host).toLowerCase();
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function isMutation(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/**
 * Cross-site request forgery: a browser says where a request comes from (Origin, Sec-Fetch-Site).
 * A mutation from another site is refused; one without either header is not from a browser page
 * (curl, a server) and carries no ambient credentials a page could abuse.
 */
export function checkSameOrigin(request: HttpRequest, publicUrl: string | undefined): GuardRefusal | null {
  if (!isMutation(request.method)) return null;
  const site = request.headers.get("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") {
    return { status: 403, message: "Cross-site requests are refused." };
  }
  const origin = request.headers.get("origin");
  if (origin && origin !== "null") {
    const expected = publicUrl ? new URL(publicUrl).host : requestHost(request);
    let actual: string;
    try {
      actual = new URL(origin).host;
    } catch {
      return { status: 403, message: "The Origin header is not a valid origin." };
    }
    if (actual.toLowerCase() !== expected.toLowerCase()) return { status: 403, message: `Requests from ${origin} are refused.` };
  } else if (origin === "null") {
    return { status: 403, message: "Requests from an opaque origin are refused." };
  }
  return null;
}

/**
 * Mutations carry JSON (`application/json` or a `+json` type such as CloudEvents'). Forms can only
 * send urlencoded, multipart or text/plain bodies cross-site without a CORS preflight, so this
 * alone closes HTML-form CSRF. A mutation without a type (a bodyless DELETE, `curl -X POST`) is
 * let through here: a page can only send one with fetch, which carries Origin / Sec-Fetch-Site
 * for checkSameOrigin to refuse.
 */
export function checkJsonBody(request: HttpRequest): GuardRefusal | null {
  if (!isMutation(request.method)) return null;
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!type) return null;
  if (type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type)) return null;
  return { status: 415, message: `Send the body as application/json${type ? ` (got ${type})` : ""}.` };
}
