import { NextResponse, type NextRequest } from "next/server";
import { getSessionCookie } from "better-auth/cookies";
import { checkHost } from "@/server/http-api/request-guard";
import { contentSecurityPolicy, staticSecurityHeaders } from "@/server/http-api/security-headers";

// Runs before every request (Next 16's `proxy`, formerly `middleware`): refuses foreign Host
// headers, sets the security headers with a per-request CSP nonce, and sends visitors without a
// session cookie to the sign-in page. It only looks at the cookie's presence; the pages and every
// API call check the session itself (server/auth/session.ts), so a forged cookie gets nowhere.

/** Pages that work before sign-in. */
const OPEN_PAGES = ["/sign-in", "/setup", "/invite/"];

export function proxy(request: NextRequest) {
  const publicUrl = process.env.SYNCLINE_PUBLIC_URL || undefined;
  const https = publicUrl?.startsWith("https://") ?? false;
  const refused = checkHost(request, publicUrl);
  if (refused) return new NextResponse(refused.message, { status: refused.status, headers: { "Content-Type": "text/plain; charset=utf-8" } });

  const { pathname, search } = request.nextUrl;
  const isPage = !pathname.startsWith("/api/") && !pathname.startsWith("/_next/");
  const open = OPEN_PAGES.some((page) => pathname === page || (page.endsWith("/") && pathname.startsWith(page)));
  if (isPage && !open && !getSessionCookie(request, { cookiePrefix: "syncline" })) {
    const signIn = new URL("/sign-in", request.url);
    if (pathname !== "/") signIn.searchParams.set("next", pathname + search);
    return withHeaders(NextResponse.redirect(signIn), null, https);
  }

  const nonce = btoa(crypto.randomUUID());
  const csp = contentSecurityPolicy(nonce, { dev: process.env.NODE_ENV === "development" });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("x-syncline-path", pathname);
  requestHeaders.set("Content-Security-Policy", csp);
  return withHeaders(NextResponse.next({ request: { headers: requestHeaders } }), csp, https);
}

function withHeaders(response: NextResponse, csp: string | null, https: boolean) {
  if (csp) response.headers.set("Content-Security-Policy", csp);
  for (const [name, value] of Object.entries(staticSecurityHeaders({ https }))) response.headers.set(name, value);
  return response;
}

export const config = {
  // Everything except Next's immutable build assets (next.config.js gives those the static headers).
  matcher: [{ source: "/((?!_next/static|_next/image|favicon.ico).*)" }],
};
