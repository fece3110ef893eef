import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient } from "./create-client";
import {
  EmbeddedPostgresInUseError,
  runningEmbeddedPostgres,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from "./embedded-postgres";
import { applyMigrations, readMigrations } from "./migrations";

const tempDirs: string[] = [];
const running: EmbeddedPostgres[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "syncline-pglite-"));
  tempDirs.push(dir);
  return dir;
}

async function start(dataDir: string): Promise<EmbeddedPostgres> {
  const embedded = await startEmbeddedPostgres({ dataDir });
  running.push(embedded);
  return embedded;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("the embedded database", () => {
  it("is migrated, used through Prisma and keeps its data across a restart", async () => {
    const dataDir = await tempDir();
    const first = await start(dataDir);
    expect(first.url).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    const names = (await readMigrations()).map((m) => m.name);
    expect((await applyMigrations(first.url)).applied).toEqual(names);

    const prisma = createPrismaClient(first.url);
    const created = await prisma.flow.create({
      data: { name: "Orders to ERP", draft: { nodes: [{ id: "a" }], edges: [] }, versions: { create: { version: 1, document: { v: 1 } } } },
    });
    const read = await prisma.flow.findUniqueOrThrow({ where: { id: created.id }, include: { versions: true } });
    expect(read.name).toBe("Orders to ERP");
    expect(read.draft).toEqual({ nodes: [{ id: "a" }], edges: [] });
    expect(read.versions.map((v) => v.version)).toEqual([1]);
    await prisma.$disconnect();
    await first.stop();

    const second = await start(dataDir);
    expect((await applyMigrations(second.url)).applied).toEqual([]);
    const again = createPrismaClient(second.url);
    try {
      const found = await again.flow.findUnique({ where: { id: created.id }, include: { versions: true } });
      expect(found?.name).toBe("Orders to ERP");
      expect(found?.versions).toHaveLength(1);
    } finally {
      await again.$disconnect();
    }
  });

  it("refuses a second opening of the same directory and names the URL already serving it", async () => {
    const dataDir = await tempDir();
    const embedded = await start(dataDir);
    expect(await runningEmbeddedPostgres(dataDir)).toEqual({ pid: process.pid, url: embedded.url });
    const second = startEmbeddedPostgres({ dataDir });
    await expect(second).rejects.toThrow(/already open in this process/);
    await embedded.stop();
    expect(await runningEmbeddedPostgres(dataDir)).toBeUndefined();
  });

  it("lets a second process find and use the database another process serves", async () => {
    const dataDir = await tempDir();
    const fixture = path.join(import.meta.dirname, "fixtures", "serve-embedded.ts");
    const child = spawn(process.execPath, ["--import", "tsx", fixture, dataDir], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      const [line] = (await once(child.stdout, "data")) as [Buffer];
      const url = line.toString().trim();
      const attempt = startEmbeddedPostgres({ dataDir });
      await expect(attempt).rejects.toBeInstanceOf(EmbeddedPostgresInUseError);
      await expect(attempt).rejects.toMatchObject({ pid: child.pid, url });
      expect(await runningEmbeddedPostgres(dataDir)).toEqual({ pid: child.pid, url });

      const client = new pg.Client({ connectionString: url });
      await client.connect();
      expect((await client.query("SELECT 41 + 1 AS answer")).rows).toEqual([{ answer: 42 }]);
      await client.end();
    } finally {
      child.stdin.end();
      if (child.exitCode === null) await once(child, "exit");
    }
    expect(await runningEmbeddedPostgres(dataDir)).toBeUndefined();
  });

  it("takes over a lock file left by a process that died", async () => {
    const dataDir = await tempDir();
    // A pid far above any pid_max, so certainly not running.
    await writeFile(path.join(dataDir, "pglite.lock"), JSON.stringify({ pid: 2 ** 30, url: "postgresql://x@127.0.0.1:1/x" }));
    const embedded = await start(dataDir);
    expect(JSON.parse(await readFile(path.join(dataDir, "pglite.lock"), "utf8"))).toMatchObject({ pid: process.pid, url: embedded.url });
  });

  it("reports another live process by pid and URL", () => {
    const error = new EmbeddedPostgresInUseError("/data", 1234, "postgresql://postgres@127.0.0.1:5555/postgres");
    expect(error.message).toContain("process 1234");
    expect(error.message).toContain("postgresql://postgres@127.0.0.1:5555/postgres");
  });
});

describe("several connections to the embedded database", () => {
  let embedded: EmbeddedPostgres;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await tempDir();
    embedded = await startEmbeddedPostgres({ dataDir });
  });
  afterAll(async () => {
    await embedded.stop();
  });

  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: embedded.url });
    await client.connect();
    return client;
  }

  it("never mix up each other's statements, even when a query spans several TCP packets", async () => {
    // pglite-socket's own server binds one connection's parameters to another's statement here.
    const clients = await Promise.all(Array.from({ length: 5 }, connect));
    const big = "x".repeat(300_000);
    try {
      const outcomes = await Promise.all(
        clients.map(async (client, k) => {
          const results: boolean[] = [];
          for (let i = 0; i < 15; i++) {
            const params = Array.from({ length: k + 1 }, (_, j) => (j === 0 ? big : String(j)));
            const sql = `SELECT length(${params.map((_, j) => `$${j + 1}::text`).join(" || ")}) AS n`;
            const { rows } = await client.query<{ n: number }>(sql, params);
            results.push(rows[0]?.n === params.join("").length);
          }
          return results;
        }),
      );
      expect(outcomes.flat().every(Boolean)).toBe(true);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it("run transactions one after another, so read-modify-write loses nothing", async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, connect));
    try {
      await clients[0]!.query("CREATE TABLE counter (n int); INSERT INTO counter VALUES (0)");
      await Promise.all(
        clients.map(async (client) => {
          for (let i = 0; i < 10; i++) {
            await client.query("BEGIN");
            const { rows } = await client.query<{ n: number }>("SELECT n FROM counter");
            await client.query("UPDATE counter SET n = $1", [rows[0]!.n + 1]);
            await client.query("COMMIT");
          }
        }),
      );
      expect((await clients[0]!.query("SELECT n FROM counter")).rows).toEqual([{ n: 40 }]);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it("roll back what a client that vanished mid-transaction left open", async () => {
    const [quitter, other] = await Promise.all([connect(), connect()]);
    await other.query("CREATE TABLE vanish (n int)");
    await quitter.query("BEGIN");
    await quitter.query("INSERT INTO vanish VALUES (1)");
    const waiting = other.query<{ count: string }>("SELECT count(*) FROM vanish");
    await quitter.end();
    expect((await waiting).rows).toEqual([{ count: "0" }]);
    const { rows } = await other.query<{ count: string }>("SELECT count(*) FROM vanish");
    expect(rows).toEqual([{ count: "0" }]);
    await other.end();
  });

  it("recover from a failed extended-protocol query", async () => {
    const client = await connect();
    await expect(client.query("SELECT $1::int", ["not a number"])).rejects.toThrow(/invalid input syntax/);
    expect((await client.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    await client.end();
  });

});

describe("migrating the embedded database", () => {
  it("applies migrations once when several appliers start together", async () => {
    const embedded = await start(await tempDir());
    const results = await Promise.all(Array.from({ length: 3 }, () => applyMigrations(embedded.url)));
    const names = (await readMigrations()).map((m) => m.name);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(names);
    const client = new pg.Client({ connectionString: embedded.url });
    await client.connect();
    const { rows } = await client.query<{ migration_name: string }>(`SELECT migration_name FROM "_prisma_migrations"`);
    expect(rows.map((r) => r.migration_name).sort()).toEqual(names);
    await client.end();
  });
});
