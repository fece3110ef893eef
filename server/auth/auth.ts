import "server-only";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { APIError, createAuthMiddleware } from "better-auth/api";
import type { PrismaClient } from "@/server/db/generated/client";
import { env } from "@/server/env";
import { derivedKey } from "./derived-keys";
import { checkSignInAllowed, recordSignInFailure, clearSignInFailures } from "./sign-in-limit";

// Sign-in is Better Auth (docs/decisions/0015-sign-in-roles-and-the-closed-surface.md): email + password, passwords hashed with scrypt
// (Better Auth's default, memory-hard), sessions in HttpOnly SameSite=Lax cookies that are Secure
// when SYNCLINE_PUBLIC_URL is https. Its Prisma adapter works on our generated `prisma-client`
// (it only calls the model delegates), so auth shares the app's Prisma client and pool.

/** Sign-ins per IP address per minute (Better Auth's limiter, stored in Postgres). */
export const SIGN_IN_PER_IP_PER_MINUTE = 10;

/**
 * Whether X-Forwarded-For names the client: only when a proxy we trust writes it
 * (SYNCLINE_TRUST_PROXY, or Vercel). Otherwise any client could send a new address with every
 * try and never reach the per-IP limit, so the header is ignored and sign-ins share one limit.
 */
export function trustsForwardedFor(e: { SYNCLINE_TRUST_PROXY: boolean; VERCEL?: string } = env()): boolean {
  return e.SYNCLINE_TRUST_PROXY || e.VERCEL === "1";
}

function buildAuth(prisma: PrismaClient, trustProxy: boolean) {
  const { SYNCLINE_PUBLIC_URL } = env();
  const https = SYNCLINE_PUBLIC_URL?.startsWith("https://") ?? false;
  return betterAuth({
    appName: "Syncline",
    database: prismaAdapter(prisma, { provider: "postgresql" }),
    secret: derivedKey("auth-session-secret").toString("base64"),
    basePath: "/api/auth",
    ...(SYNCLINE_PUBLIC_URL ? { baseURL: SYNCLINE_PUBLIC_URL } : {}),
    trustedOrigins: SYNCLINE_PUBLIC_URL ? [new URL(SYNCLINE_PUBLIC_URL).origin] : ["http://localhost:*", "http://127.0.0.1:*"],
    telemetry: { enabled: false },
    emailAndPassword: {
      enabled: true,
      // Accounts are made by the setup page, SYNCLINE_ADMIN_* or an invitation (server/auth/users.ts).
      disableSignUp: true,
      minPasswordLength: 10,
      maxPasswordLength: 256,
    },
    user: {
      additionalFields: {
        role: { type: "string", required: false, defaultValue: "viewer", input: false },
        deactivatedAt: { type: "date", required: false, input: false },
      },
    },
    session: { expiresIn: 7 * 24 * 3600, updateAge: 24 * 3600 },
    rateLimit: {
      // Better Auth turns its limiter off outside production by default; we want it everywhere.
      enabled: true,
      storage: "database",
      window: 60,
      max: 300,
      customRules: { "/sign-in/email": { window: 60, max: SIGN_IN_PER_IP_PER_MINUTE } },
    },
    advanced: {
      cookiePrefix: "syncline",
      // No headers: Better Auth finds no client address and counts every sign-in in one bucket.
      ipAddress: { ipAddressHeaders: trustProxy ? ["x-forwarded-for"] : [] },
      useSecureCookies: https,
      defaultCookieAttributes: { httpOnly: true, sameSite: "lax", secure: https },
    },
    databaseHooks: {
      session: {
        create: {
          // A deactivated account gets no new session, whatever path asked for one.
          async before(session) {
            const user = await prisma.user.findUnique({ where: { id: session.userId }, select: { deactivatedAt: true } });
            if (!user || user.deactivatedAt) throw new APIError("FORBIDDEN", { message: "This account is deactivated. Ask an admin to reactivate it." });
            return { data: session };
          },
        },
      },
    },
    hooks: {
      // The per-account limit (per-IP is the rate limiter above): too many wrong passwords for one
      // email lock that email for a while, from whichever address they come.
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== "/sign-in/email") return;
        const email = typeof ctx.body?.email === "string" ? ctx.body.email : "";
        const retryAfter = await checkSignInAllowed(prisma, email);
        if (retryAfter !== null) {
          throw new APIError("TOO_MANY_REQUESTS", {
            message: `Too many failed sign-ins for this account. Try again in ${Math.ceil(retryAfter / 60)} minute(s).`,
          });
        }
      }),
      after: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== "/sign-in/email") return;
        const email = typeof ctx.body?.email === "string" ? ctx.body.email : "";
        const returned = ctx.context.returned;
        if (returned instanceof APIError && returned.statusCode === 401) await recordSignInFailure(prisma, email);
        else if (!(returned instanceof APIError)) await clearSignInFailures(prisma, email);
      }),
    },
  });
}

export type Auth = ReturnType<typeof buildAuth>;

// One Better Auth instance per Prisma client (and proxy trust): the app has one; each integration
// test has its own database and client.
const instances = new WeakMap<PrismaClient, Map<boolean, Auth>>();

export function authFor(prisma: PrismaClient, options: { trustProxy?: boolean } = {}): Auth {
  const trustProxy = options.trustProxy ?? trustsForwardedFor();
  let byTrust = instances.get(prisma);
  if (!byTrust) instances.set(prisma, (byTrust = new Map()));
  let auth = byTrust.get(trustProxy);
  if (!auth) {
    auth = buildAuth(prisma, trustProxy);
    byTrust.set(trustProxy, auth);
  }
  return auth;
}
