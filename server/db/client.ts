import "server-only";
import { env } from "../env";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as GeneratedPrismaClient } from "./generated/client";
import type { PrismaClient } from "./generated/client";

export { createPrismaClient, type PrismaClientOptions } from "./create-client";
export type { PrismaClient } from "./generated/client";

// Next's dev server re-evaluates modules on every change; a module-level client would open a new
// pool each time until Postgres runs out of connections, so the client lives on globalThis.
const globalForDb = globalThis as typeof globalThis & { __synclinePrisma?: PrismaClient; __synclinePool?: pg.Pool };

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
    // One pg pool per instance, shared by Prisma and the serverless drain's batch writes.
    const pool = new pg.Pool({ connectionString: url });
    // An idle connection the server ends (restart, failover, a dropped test database) must not
    // crash the process: the pool replaces it on the next query, which reports its own error.
    pool.on("error", (error) => console.warn(`[syncline] database connection lost: ${error.message}`));
    globalForDb.__synclinePool = pool;
    globalForDb.__synclinePrisma = new GeneratedPrismaClient({ adapter: new PrismaPg(globalForDb.__synclinePool) });
  }
  return globalForDb.__synclinePrisma;
}

/** The pg pool behind db(), for the runtime's plain-SQL writes (see server/runtime/outcome-writer.ts). */
export function dbPool(): pg.Pool {
  db();
  return globalForDb.__synclinePool!;
}
