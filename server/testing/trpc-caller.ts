import type { PrismaClient } from "@/server/db/generated/client";
import { createCaller } from "@/server/api/root";

/**
 * A tRPC caller as the browser would call the app, for router tests. Every router test builds its
 * caller here, so the context a real request carries (session, role) is made in one place.
 */
export function callerFor(prisma: PrismaClient, options: { headers?: Headers } = {}) {
  return createCaller({ db: prisma, headers: options.headers ?? new Headers() });
}
export type TestCaller = ReturnType<typeof callerFor>;
