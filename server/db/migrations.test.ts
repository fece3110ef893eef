import { createHash } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  applyMigrations,
  checksumMatches,
  DEFAULT_MIGRATIONS_DIR,
  MigrationError,
  migrationChecksum,
  readMigrations,
} from "./migrations";
import { createTestDatabase, type TestDatabase } from "./test-database";

const databases: TestDatabase[] = [];
const tempDirs: string[] = [];

async function emptyDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase({ migrate: false });
  databases.push(database);
  return database;
}

/** A private copy of the project's migrations that a test may change. */
async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "syncline-migrations-"));
  tempDirs.push(dir);
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

interface Row {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}

const rowsOf = (url: string) => query<Row>(url, `SELECT * FROM "_prisma_migrations" ORDER BY migration_name`);

afterEach(async () => {
  await Promise.all(databases.splice(0).map((database) => database.drop()));
});

afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("the project's migrations", () => {
  let migrationNames: string[];
  beforeAll(async () => {
    migrationNames = (await readMigrations()).map((m) => m.name);
  });

  it("exist, starting with init, and carry a migration_lock.toml for postgresql", async () => {
    expect(migrationNames.length).toBeGreaterThan(0);
    expect(migrationNames[0]).toMatch(/^\d{14}_init$/);
    const lock = await readFile(path.join(DEFAULT_MIGRATIONS_DIR, "migration_lock.toml"), "utf8");
    expect(lock).toContain('provider = "postgresql"');
  });

  it("create the tables and record each migration as Prisma does", async () => {
    const { url } = await emptyDatabase();
    const result = await applyMigrations(url);
    expect(result.applied).toEqual(migrationNames);

    const tables = await query<{ table_name: string }>(
      url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      "Account", "Alert", "AlertSetting", "AlertThrottle", "ApiKey", "AuditEntry", "Channel", "Credential", "DeadLetter", "EventType", "Flow", "FlowVersion", "HeldEvent", "Invite", "Partition",
      "ProcessedEvent", "RateLimit", "Run", "ScheduleCursor", "Session", "SignInFailure", "Source", "User", "Verification", "Worker", "_prisma_migrations",
    ]);

    const rows = await rowsOf(url);
    expect(rows.map((r) => r.migration_name)).toEqual(migrationNames);
    for (const row of rows) {
      const file = await readFile(path.join(DEFAULT_MIGRATIONS_DIR, row.migration_name, "migration.sql"));
      expect(row.checksum).toBe(createHash("sha256").update(file).digest("hex"));
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("create _prisma_migrations with exactly Prisma's columns", async () => {
    const { url } = await emptyDatabase();
    await applyMigrations(url);
    const columns = await query(
      url,
      `SELECT column_name, data_type, character_maximum_length AS length, is_nullable, column_default
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: "id", data_type: "character varying", length: 36, is_nullable: "NO", column_default: null },
      { column_name: "checksum", data_type: "character varying", length: 64, is_nullable: "NO", column_default: null },
      { column_name: "finished_at", data_type: "timestamp with time zone", length: null, is_nullable: "YES", column_default: null },
      { column_name: "migration_name", data_type: "character varying", length: 255, is_nullable: "NO", column_default: null },
      { column_name: "logs", data_type: "text", length: null, is_nullable: "YES", column_default: null },
      { column_name: "rolled_back_at", data_type: "timestamp with time zone", length: null, is_nullable: "YES", column_default: null },
      { column_name: "started_at", data_type: "timestamp with time zone", length: null, is_nullable: "NO", column_default: "now()" },
      { column_name: "applied_steps_count", data_type: "integer", length: null, is_nullable: "NO", column_default: "0" },
    ]);
    const [primaryKey] = await query<{ conname: string }>(
      url,
      `SELECT conname FROM pg_constraint WHERE conrelid = '"_prisma_migrations"'::regclass AND contype = 'p'`,
    );
    expect(primaryKey?.conname).toBe("_prisma_migrations_pkey");
  });

  it("are a no-op the second time", async () => {
    const { url } = await emptyDatabase();
    await applyMigrations(url);
    const before = await rowsOf(url);
    expect(await applyMigrations(url)).toEqual({ applied: [] });
    expect(await rowsOf(url)).toEqual(before);
  });

  it("are applied once when several instances start at the same time", async () => {
    // Like a deployment's instances cold-starting together, each with its own connection.
    const { url } = await emptyDatabase();
    const results = await Promise.all(Array.from({ length: 8 }, () => applyMigrations(url)));
    // Every applier succeeded, and between them each migration was applied by exactly one.
    expect(results.flatMap((r) => r.applied).sort()).toEqual(migrationNames);
    const rows = await rowsOf(url);
    expect(rows.map((r) => r.migration_name)).toEqual(migrationNames);
    expect(rows.every((r) => r.finished_at !== null && r.rolled_back_at === null && r.applied_steps_count === 1)).toBe(true);
    // Nothing stays locked: the lock is per transaction, so a pooler cannot strand it on a connection.
    expect(await query(url, `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 72707369`)).toEqual([]);
    expect(await applyMigrations(url)).toEqual({ applied: [] });
  });
});

describe("applyMigrations", () => {
  it("refuses a migration whose file changed after it was applied", async () => {
    const dir = await copyOfMigrations();
    const [first] = await readMigrations(dir);
    const { url } = await emptyDatabase();
    await applyMigrations(url, { migrationsDir: dir });

    const file = path.join(dir, first!.name, "migration.sql");
    await writeFile(file, `${await readFile(file, "utf8")}\nCREATE TABLE "Sneaky" ("id" TEXT);\n`);
    const attempt = applyMigrations(url, { migrationsDir: dir });
    await expect(attempt).rejects.toBeInstanceOf(MigrationError);
    await expect(attempt).rejects.toThrow(`Migration ${first!.name} changed after it was applied`);
    const sneaky = await query(url, `SELECT to_regclass('"Sneaky"') AS t`);
    expect(sneaky).toEqual([{ t: null }]);
  });

  it("accepts a migration whose only change is its line endings, as Prisma does", async () => {
    const dir = await copyOfMigrations();
    const [first] = await readMigrations(dir);
    const { url } = await emptyDatabase();
    await applyMigrations(url, { migrationsDir: dir });
    const file = path.join(dir, first!.name, "migration.sql");
    await writeFile(file, (await readFile(file, "utf8")).replace(/\n/g, "\r\n"));
    expect(await applyMigrations(url, { migrationsDir: dir })).toEqual({ applied: [] });
  });

  it("applies new migrations in name order and rolls a failing one back completely", async () => {
    const dir = await copyOfMigrations();
    const { url } = await emptyDatabase();
    await applyMigrations(url, { migrationsDir: dir });

    await mkdir(path.join(dir, "29990101000000_add_note"));
    await writeFile(path.join(dir, "29990101000000_add_note", "migration.sql"), `ALTER TABLE "ApiKey" ADD COLUMN "note" TEXT;\n`);
    await mkdir(path.join(dir, "29990102000000_broken"));
    const broken = `CREATE TABLE "Half" ("id" TEXT);\nSELECT no_such_function();\n`;
    await writeFile(path.join(dir, "29990102000000_broken", "migration.sql"), broken);

    const attempt = applyMigrations(url, { migrationsDir: dir });
    await expect(attempt).rejects.toThrow(/Migration 29990102000000_broken failed and was rolled back: .*no_such_function/);
    const names = (await rowsOf(url)).map((r) => r.migration_name);
    expect(names).toContain("29990101000000_add_note");
    expect(names).not.toContain("29990102000000_broken");
    expect(await query(url, `SELECT to_regclass('"Half"') AS t`)).toEqual([{ t: null }]);
    expect(await query(url, `SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'note'`)).toEqual([
      { n: 1 },
    ]);

    await writeFile(path.join(dir, "29990102000000_broken", "migration.sql"), `CREATE TABLE "Half" ("id" TEXT);\n`);
    expect(await applyMigrations(url, { migrationsDir: dir })).toEqual({ applied: ["29990102000000_broken"] });
  });

  it("refuses a database with tables but no migration history", async () => {
    const { url } = await emptyDatabase();
    await query(url, `CREATE TABLE "Flow" ("id" TEXT)`);
    await expect(applyMigrations(url)).rejects.toThrow(/not empty but has no _prisma_migrations table/);
  });

  it("refuses to go on after a migration that prisma migrate recorded as failed", async () => {
    const { url } = await emptyDatabase();
    await applyMigrations(url);
    await query(
      url,
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs) VALUES ($1, $2, $3, $4)`,
      ["00000000-0000-4000-8000-000000000000", "x".repeat(64), "29990101000000_failed", "syntax error at or near"],
    );
    await expect(applyMigrations(url)).rejects.toThrow(/failed migrations[\s\S]*29990101000000_failed: syntax error/);
  });

  it("waits for the lock held by another migrator, and gives up with an explanation", async () => {
    const { url } = await emptyDatabase();
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(72707369)");
      await expect(applyMigrations(url, { lockTimeoutMs: 300 })).rejects.toThrow(/advisory lock 72707369/);
      let settled = false;
      const waiting = applyMigrations(url, { lockTimeoutMs: 10_000 }).finally(() => {
        settled = true;
      });
      // Wait until the migrator's own session waits for the lock (an ungranted advisory lock).
      for (;;) {
        const { rows } = await holder.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid <> pg_backend_pid()`,
        );
        if (rows[0]!.n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(settled).toBe(false);
      await holder.query("SELECT pg_advisory_unlock(72707369)");
      expect((await waiting).applied.length).toBeGreaterThan(0);
    } finally {
      await holder.end();
    }
  });

  it("refuses to run without a migrations directory", async () => {
    const { url } = await emptyDatabase();
    await expect(applyMigrations(url, { migrationsDir: "/nonexistent/migrations" })).rejects.toThrow(
      /no migrations directory at \/nonexistent\/migrations/,
    );
  });

  it("refuses a migrations directory made for another database", async () => {
    const dir = await copyOfMigrations();
    await writeFile(path.join(dir, "migration_lock.toml"), 'provider = "sqlite"\n');
    await expect(readMigrations(dir)).rejects.toThrow(/for sqlite/);
  });
});

describe("checksums", () => {
  it("are sha256 in zero-padded hex", () => {
    expect(migrationChecksum("hello")).toBe("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  });

  it("match across line endings and Prisma's old unpadded format, and nothing else", () => {
    const script = "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n";
    expect(checksumMatches(script, migrationChecksum(script))).toBe(true);
    expect(checksumMatches(script.replace(/\n/g, "\r\n"), migrationChecksum(script))).toBe(true);
    expect(checksumMatches(script, migrationChecksum(script.replace(/\n/g, "\r\n")))).toBe(true);
    // sha256("hello") has bytes below 0x10, so the unpadded form is shorter than 64 characters.
    const unpadded = [...createHash("sha256").update("hello").digest()].map((b) => b.toString(16)).join("");
    expect(unpadded.length).toBeLessThan(64);
    expect(checksumMatches("hello", unpadded)).toBe(true);
    expect(checksumMatches(`${script} `, migrationChecksum(script))).toBe(false);
  });
});
