import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";

// The project's own migration applier. It reads the same prisma/migrations directory as
// `prisma migrate deploy` and keeps the same `_prisma_migrations` table, so either tool can take
// over from the other; it exists because the Prisma CLI's engine cannot be downloaded everywhere
// the app runs. See docs/decisions/0001-migrations-without-the-prisma-engine.md.

/** The key Prisma's schema engine locks with, so this applier and `prisma migrate` exclude each other. */
const MIGRATION_LOCK_KEY = 72707369;

/** Where migrations live when no directory is given: the app is started from the project root. */
export const DEFAULT_MIGRATIONS_DIR = path.resolve(process.cwd(), "prisma", "migrations");

export interface Migration {
  /** Directory name, `<timestamp>_<name>`: the `migration_name` Prisma records. */
  name: string;
  sql: string;
  /** sha256 of migration.sql in hex, as Prisma computes it. */
  checksum: string;
}

export interface ApplyMigrationsOptions {
  migrationsDir?: string;
  /** How long to wait for another process that is migrating the same database. */
  lockTimeoutMs?: number;
  log?: (message: string) => void;
}

export interface ApplyMigrationsResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
}

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MigrationError";
  }
}

export function migrationChecksum(script: string | Uint8Array): string {
  return createHash("sha256").update(script).digest("hex");
}

/**
 * Whether `script` is the one a recorded checksum was taken of. Like Prisma, line endings do not
 * count (git may rewrite them on checkout), and the unpadded hex that old Prisma versions wrote is
 * still recognised.
 */
export function checksumMatches(script: string, recorded: string): boolean {
  const variants = [script, script.replace(/\r\n/g, "\n"), script.replace(/\r?\n/g, "\r\n")];
  return variants.some((variant) => {
    const digest = createHash("sha256").update(variant).digest();
    const rendered =
      recorded.length === 64 ? digest.toString("hex") : [...digest].map((byte) => byte.toString(16)).join("");
    return rendered === recorded;
  });
}

/** The migrations in `dir`, in the order Prisma applies them (directory names, localeCompare). */
export async function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  let entries;
  try {
    entries = await readdir(/*turbopackIgnore: true*/ dir, { withFileTypes: true });
  } catch (error) {
    // Starting with no migrations would leave an empty database that fails on first use, far away.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new MigrationError(
        `There is no migrations directory at ${dir} (run from the project root, or pass migrationsDir).`,
      );
    }
    throw error;
  }
  await checkLockfile(dir);
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name, "migration.sql");
      let bytes: Buffer;
      try {
        bytes = await readFile(/*turbopackIgnore: true*/ file);
      } catch (error) {
        throw new MigrationError(`Migration ${name} has no readable migration.sql (${file}).`, { cause: error });
      }
      return { name, sql: bytes.toString("utf8"), checksum: migrationChecksum(bytes) };
    }),
  );
}

async function checkLockfile(dir: string): Promise<void> {
  let lockfile: string;
  try {
    lockfile = await readFile(/*turbopackIgnore: true*/ path.join(dir, "migration_lock.toml"), "utf8");
  } catch {
    return;
  }
  const provider = /^\s*provider\s*=\s*"([^"]*)"/m.exec(lockfile)?.[1];
  if (provider !== undefined && provider !== "postgresql") {
    throw new MigrationError(`${dir} holds migrations for ${provider} (migration_lock.toml), not postgresql.`);
  }
}

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

// Column for column what Prisma's schema engine creates for Postgres.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

/**
 * Applies every migration in `migrationsDir` that the database has not recorded yet, each in its
 * own transaction together with its `_prisma_migrations` row, so a failed migration leaves neither
 * half a schema change nor a failed row behind. Refuses to run when an applied migration's file
 * changed since, or when Prisma recorded a failed migration that nobody resolved.
 */
export async function applyMigrations(
  connectionString: string,
  { migrationsDir = DEFAULT_MIGRATIONS_DIR, lockTimeoutMs = 60_000, log = () => {} }: ApplyMigrationsOptions = {},
): Promise<ApplyMigrationsResult> {
  const migrations = await readMigrations(migrationsDir);
  const client = new pg.Client({ connectionString, application_name: "syncline-migrate" });
  await client.connect();
  try {
    return await applyLocked(client, migrations, lockTimeoutMs, log);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Runs `work` in a transaction that holds the migration lock. A transaction-level advisory lock,
 * not a session lock: behind a transaction pooler (PgBouncer, Neon's or Supabase's pooled URL)
 * consecutive statements may run on different server connections, so a session lock could be
 * taken on one and "released" on another, staying held forever. Several instances starting at
 * once queue here; each re-reads the state inside the lock. Prisma's schema engine takes the same
 * key as a session lock, so `prisma migrate deploy` and this applier still exclude each other.
 */
async function inMigrationLock<T>(client: pg.Client, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    // lock_timeout instead of waiting forever, so the wait can end with an explanation rather
    // than hang behind a stuck migration.
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    try {
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    } catch (error) {
      if ((error as { code?: string }).code !== "55P03") throw error;
      throw new MigrationError(
        `Another process has been migrating this database for more than ${timeoutMs} ms ` +
          `(advisory lock ${MIGRATION_LOCK_KEY} is held). If nothing is migrating, end the session holding it.`,
      );
    }
    await client.query("SET LOCAL lock_timeout TO DEFAULT");
    const result = await work();
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

async function applyLocked(
  client: pg.Client,
  migrations: Migration[],
  lockTimeoutMs: number,
  log: (message: string) => void,
): Promise<ApplyMigrationsResult> {
  await inMigrationLock(client, lockTimeoutMs, () => ensureMigrationsTable(client));
  const rows = await loadRows(client);

  const failed = rows.filter((row) => row.finished_at === null && row.rolled_back_at === null);
  if (failed.length > 0) {
    const details = failed
      .map((row) => `  ${row.migration_name}${row.logs?.trim() ? `: ${row.logs.trim()}` : ""}`)
      .join("\n");
    throw new MigrationError(
      `The database has failed migrations (recorded by prisma migrate):\n${details}\n` +
        "Fix the database by hand, then mark them with `prisma migrate resolve` " +
        "(or delete their _prisma_migrations rows).",
    );
  }

  const local = new Map(migrations.map((m) => [m.name, m]));
  const applied = rows.filter((row) => row.rolled_back_at === null);
  const edited = applied.filter((row) => {
    const migration = local.get(row.migration_name);
    return migration !== undefined && !checksumMatches(migration.sql, row.checksum);
  });
  if (edited.length > 0) {
    throw new MigrationError(
      `Migration${edited.length > 1 ? "s" : ""} ${edited.map((row) => row.migration_name).join(", ")} ` +
        `changed after ${edited.length > 1 ? "they were" : "it was"} applied to this database. ` +
        `Applied migrations must not be edited: restore the file and put the change in a new migration.`,
    );
  }
  for (const row of applied) {
    if (!local.has(row.migration_name)) {
      log(`The database has migration ${row.migration_name}, which is not in the migrations directory.`);
    }
  }

  const appliedNames = new Set(applied.map((row) => row.migration_name));
  const result: string[] = [];
  for (const migration of migrations) {
    if (appliedNames.has(migration.name)) continue;
    if (await inMigrationLock(client, lockTimeoutMs, () => applyOne(client, migration))) {
      log(`Applied migration ${migration.name}`);
      result.push(migration.name);
    }
  }
  return { applied: result };
}

async function ensureMigrationsTable(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ exists: boolean; others: number }>(
    `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS exists,
            (SELECT count(*)::int FROM information_schema.tables WHERE table_schema = current_schema()) AS others`,
  );
  const state = rows[0];
  if (state?.exists) return;
  // Like `prisma migrate deploy`: replaying the history onto tables that something else created
  // would fail halfway or, worse, succeed on top of a schema nobody knows.
  if (state && state.others > 0) {
    throw new MigrationError(
      "The database schema is not empty but has no _prisma_migrations table, so its migration history is " +
        "unknown. Use an empty database, or baseline this one (https://pris.ly/d/migrate-baseline).",
    );
  }
  await client.query(CREATE_MIGRATIONS_TABLE);
}

async function loadRows(client: pg.Client): Promise<MigrationRow[]> {
  const { rows } = await client.query<MigrationRow>(
    `SELECT id, checksum, migration_name, finished_at, rolled_back_at, logs
       FROM "_prisma_migrations" ORDER BY started_at, migration_name`,
  );
  return rows;
}

/** Applies one migration inside the caller's locked transaction; false if another applier recorded it meanwhile. */
async function applyOne(client: pg.Client, migration: Migration): Promise<boolean> {
  // Checked again under the lock: another instance may have applied it since we read the rows.
  // (On the embedded database every connection shares one session, so the advisory lock excludes
  // nobody there, but its transactions are serialized, which gives the same guarantee.)
  const { rowCount } = await client.query(
    `SELECT 1 FROM "_prisma_migrations" WHERE migration_name = $1 AND rolled_back_at IS NULL`,
    [migration.name],
  );
  if (rowCount) return false;
  const id = randomUUID();
  try {
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, clock_timestamp(), 0)`,
      [id, migration.checksum, migration.name],
    );
    await client.query(migration.sql);
    await client.query(
      `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    return true;
  } catch (error) {
    // The transaction is rolled back by inMigrationLock: neither the row nor half the change stays.
    throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
