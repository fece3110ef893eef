import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import type { PrismaClient } from "@/server/db/generated/client";
import { createCaller } from "@/server/api/root";
import { createTRPCContext } from "@/server/api/trpc";
import { authFor } from "@/server/auth/auth";
import type { Role } from "@/server/auth/roles";
import { createUserWithPassword } from "@/server/auth/users";

/**
 * A real account with `role` and a real session made through Better Auth's sign-in, as the
 * `Cookie` header a browser would send.
 */
export async function signedInCookie(prisma: PrismaClient, role: Role): Promise<{ cookie: string; userId: string; email: string }> {
  const email = `${role}-${randomBytes(5).toString("hex")}@test.syncline.local`;
  const password = randomBytes(12).toString("base64url");
  const user = await createUserWithPassword(prisma, { name: `Test ${role}`, email, password, role });
  const { headers } = await authFor(prisma).api.signInEmail({ body: { email, password }, returnHeaders: true });
  const cookie = headers
    .getSetCookie()
    .map((line) => line.split(";")[0])
    .join("; ");
  return { cookie, userId: user.id, email };
}

/**
 * A tRPC caller as the browser would call the app, for router tests: signed in as a fresh user
 * with `role` (default owner) through Better Auth, or anonymous with `role: null`. The account and
 * session are made on the first call.
 */
export function callerFor(prisma: PrismaClient, options: { role?: Role | null; headers?: Headers } = {}) {
  const role = options.role === undefined ? "owner" : options.role;
  let context: ReturnType<typeof createTRPCContext> | undefined;
  return createCaller(() => {
    context ??= (async () => {
      const headers = new Headers(options.headers);
      if (role) headers.set("cookie", (await signedInCookie(prisma, role)).cookie);
      return createTRPCContext({ headers, db: prisma });
    })();
    return context;
  });
}
export type TestCaller = ReturnType<typeof callerFor>;

/** The tRPC error code a call fails with ("FORBIDDEN", "BAD_REQUEST"…); throws when it succeeds or fails otherwise. */
export async function trpcCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
  throw new Error("expected the call to fail");
}
