import { randomBytes } from "node:crypto";
import pg from "pg";
import { createPrismaClient } from "./create-client";
import type { PrismaClient } from "./generated/client";
import { applyMigrations } from "./migrations";

// Integration tests get a database of their own on the local Postgres, migrated from scratch like a
// new installation, and drop it afterwards: the Postgres server is shared with other runs.

const DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  url: string;
  /** Database name, `syncline_test_<random>`. */
  name: string;
  prisma: PrismaClient;
  /** A plain pg pool on the database, as the runtime's writes use (server/runtime/outcome-writer.ts); made on first use. */
  readonly pool: pg.Pool;
  /** Disconnects `prisma`, ends `pool` and drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** false: leave the database empty (for testing migrations themselves). Default true. */
  migrate?: boolean;
  migrationsDir?: string;
}

function adminUrl(): string {
  return process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
}

async function withAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase({
  migrate = true,
  migrationsDir,
}: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const name = `syncline_test_${randomBytes(6).toString("hex")}`;
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const dropDatabase = () => withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  try {
    if (migrate) await applyMigrations(url.toString(), { migrationsDir });
  } catch (error) {
    await dropDatabase().catch(() => {});
    throw error;
  }
  const prisma = createPrismaClient(url.toString());
  let pool: pg.Pool | undefined;
  let dropping: Promise<void> | undefined;
  return {
    url: url.toString(),
    name,
    prisma,
    get pool() {
      return (pool ??= new pg.Pool({ connectionString: url.toString(), max: 4 }));
    },
    drop() {
      dropping ??= (async () => {
        await pool?.end();
        await prisma.$disconnect();
        await dropDatabase();
      })();
      return dropping;
    },
  };
}
