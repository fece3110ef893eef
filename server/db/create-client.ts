import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client";

// Kept apart from client.ts, which is marked "server-only", so scripts and test helpers that run
// outside Next.js can build a client too.

export interface PrismaClientOptions {
  /** Size of the connection pool (pg's default is 10). */
  maxConnections?: number;
}

/** A Prisma client for `connectionString`, talking to Postgres through adapter-pg. */
export function createPrismaClient(
  connectionString: string,
  { maxConnections }: PrismaClientOptions = {},
): PrismaClient {
  const adapter = new PrismaPg({ connectionString, ...(maxConnections === undefined ? {} : { max: maxConnections }) });
  return new PrismaClient({ adapter });
}
