import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";

// Failed sign-ins per account, kept in Postgres so every app instance counts the same attempts.

export const MAX_FAILURES_PER_ACCOUNT = 8;
const FAILURE_WINDOW_MS = 15 * 60_000;

function normalise(email: string) {
  return email.trim().toLowerCase();
}

/** null when a sign-in for `email` may be tried now, else the seconds until it may. */
export async function checkSignInAllowed(prisma: PrismaClient, email: string): Promise<number | null> {
  const since = new Date(Date.now() - FAILURE_WINDOW_MS);
  const failures = await prisma.signInFailure.findMany({
    where: { email: normalise(email), at: { gt: since } },
    orderBy: { at: "asc" },
    select: { at: true },
  });
  if (failures.length < MAX_FAILURES_PER_ACCOUNT) return null;
  const oldest = failures[failures.length - MAX_FAILURES_PER_ACCOUNT]!.at.getTime();
  return Math.max(1, Math.ceil((oldest + FAILURE_WINDOW_MS - Date.now()) / 1000));
}

export async function recordSignInFailure(prisma: PrismaClient, email: string) {
  await prisma.signInFailure.create({ data: { email: normalise(email) } });
  await prisma.signInFailure.deleteMany({ where: { at: { lt: new Date(Date.now() - FAILURE_WINDOW_MS) } } });
}

export async function clearSignInFailures(prisma: PrismaClient, email: string) {
  await prisma.signInFailure.deleteMany({ where: { email: normalise(email) } });
}
