import "server-only";
import { env } from "../env";
import { createPrismaClient } from "./create-client";
import type { PrismaClient } from "./generated/client";

export { createPrismaClient, type PrismaClientOptions } from "./create-client";
export type { PrismaClient } from "./generated/client";

// Next's dev server re-evaluates modules on every change; a module-level client would open a new
// pool each time until Postgres runs out of connections, so the client lives on globalThis.
const globalForDb = globalThis as typeof globalThis & { __synclinePrisma?: PrismaClient };

/**
 * The process-wide Prisma client for DATABASE_URL. The launcher starts the embedded database and
 * sets DATABASE_URL before the app starts, so an unset variable here is a startup mistake.
 */
export function db(): PrismaClient {
  if (globalForDb.__synclinePrisma === undefined) {
    const url = env().DATABASE_URL;
    if (url === undefined) {
      throw new Error(
        "DATABASE_URL is not set. Start the app through its launcher (which starts the embedded database) " +
          "or set DATABASE_URL.",
      );
    }
    globalForDb.__synclinePrisma = createPrismaClient(url);
  }
  return globalForDb.__synclinePrisma;
}
