// What a Vercel deployment relies on, checked on the production build: the functions ship the
// migrations and sharp's native parts, and an instance started with `next start` alone (no
// launcher, no worker — as on Vercel) migrates its database at start and keeps one NATS
// connection and one Postgres pool for all its routes.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { findFreePort } from "../server/nats/probe";
import { startNatsServer, type NatsServerProcess } from "../server/nats/nats-server-process";
import { createTestDatabase, type TestDatabase } from "../server/db/test-database";
import { expect, test } from "./fixtures";

const root = process.cwd();
const migrationNames = readdirSync(path.join(root, "prisma/migrations"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

/** The files Next's output tracing ships with a route's function, as paths relative to the project. */
function tracedFiles(route: string): string[] {
  const nft = path.join(root, ".next/server/app", `${route}.nft.json`);
  expect(existsSync(nft), `${nft} exists (run \`next build\` first)`).toBe(true);
  const { files } = JSON.parse(readFileSync(nft, "utf8")) as { files: string[] };
  return files.map((file) => path.relative(root, path.resolve(path.dirname(nft), file)));
}

test.describe("the production build, deployed like on Vercel", () => {
  test("ships every migration with the functions, and sharp's native binary with the API routes", () => {
    for (const route of ["api/events/route.js", "api/health/route.js", "page.js"]) {
      const files = tracedFiles(route);
      for (const name of migrationNames) expect(files, route).toContain(`prisma/migrations/${name}/migration.sql`);
    }
    const api = tracedFiles("api/events/route.js");
    expect(api.some((file) => /node_modules\/@img\/sharp-[^/]+\/lib\/sharp-[^/]+\.node$/.test(file))).toBe(true);
    expect(api.some((file) => /node_modules\/@img\/sharp-libvips-[^/]+\/lib\/libvips-cpp\.so/.test(file))).toBe(true);
  });

  test.describe("an instance started with `next start` alone", () => {
    let nats: NatsServerProcess;
    let monitorPort: number;
    let database: TestDatabase;
    let app: ChildProcess | undefined;
    let output = "";
    const dirs: string[] = [];
    const port = Number(process.env.E2E_ADHOC_PORT ?? 3208);
    const prefix = `deploy${randomBytes(4).toString("hex")}`;
    const apiKey = `syn_deploy_${randomBytes(12).toString("hex")}`;
    const base = `http://127.0.0.1:${port}`;

    test.beforeAll(async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "syncline-deploy-"));
      dirs.push(dir);
      // A private NATS with its monitoring port, so the test can count the app's connections.
      monitorPort = await findFreePort("127.0.0.1");
      writeFileSync(path.join(dir, "nats.conf"), `http_port: ${monitorPort}\n`);
      nats = await startNatsServer({ storeDir: path.join(dir, "store"), configFile: path.join(dir, "nats.conf") });
      database = await createTestDatabase({ migrate: false });
      app = spawn(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "start", "-p", String(port)], {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          NODE_ENV: "production",
          NEXT_TELEMETRY_DISABLED: "1",
          DATABASE_URL: database.url,
          NATS_URL: nats.url,
          SYNCLINE_PREFIX: prefix,
          BOOTSTRAP_API_KEY: apiKey,
          SYNCLINE_SECRET_KEY: randomBytes(32).toString("base64"),
        },
      });
      const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-10_000));
      app.stdout?.on("data", collect);
      app.stderr?.on("data", collect);
      await expect
        .poll(async () => (await fetch(`${base}/api/health`).catch(() => undefined))?.status, { timeout: 120_000 })
        .toBe(200)
        .catch((error: Error) => {
          throw new Error(`${error.message}\n--- next start output ---\n${output}`);
        });
    });

    test.afterAll(async () => {
      if (app && app.exitCode === null) {
        const exited = new Promise((resolve) => app!.once("exit", resolve));
        app.kill("SIGTERM");
        await exited;
      }
      await database?.drop();
      await nats?.stop();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    test("applied every migration at start, once", async () => {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ migration_name: string }>(
          `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL ORDER BY migration_name`,
        );
        expect(rows.map((row) => row.migration_name)).toEqual(migrationNames);
      } finally {
        await client.end();
      }
    });

    test("keeps one NATS connection and one Postgres pool for all its routes", async () => {
      const auth = { Authorization: `Bearer ${apiKey}` };
      const event = (i: number) => ({
        specversion: "1.0",
        id: `deploy-${i}`,
        source: "deploy-test",
        type: "stock.changed",
        subject: `SKU-${i % 5}`,
        data: { sku: `SKU-${i % 5}`, quantity: i },
      });
      // Warm invocations of different routes, many at once: health and ingest use NATS, every
      // route uses the database. A connection or pool opened per request (or per route) shows
      // up below as more than one NATS connection and more connections than one pool holds.
      const requests = Array.from({ length: 40 }, (_, i) => {
        switch (i % 4) {
          case 0:
            return fetch(`${base}/api/health`);
          case 1:
            return fetch(`${base}/api/events`, {
              method: "POST",
              headers: { ...auth, "Content-Type": "application/cloudevents+json" },
              body: JSON.stringify(event(i)),
            });
          case 2:
            return fetch(`${base}/api/runs`, { headers: auth });
          default:
            return fetch(`${base}/api/dead-letters`, { headers: auth });
        }
      });
      const statuses = (await Promise.all(requests)).map((response) => response.status);
      expect(statuses.filter((status) => status >= 400), output).toEqual([]);

      const connz = (await (await fetch(`http://127.0.0.1:${monitorPort}/connz?limit=100`)).json()) as {
        connections?: { name?: string }[];
      };
      expect.soft((connz.connections ?? []).filter((c) => c.name === `${prefix}-web`)).toHaveLength(1);

      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
          [database.name],
        );
        // One pool holds at most 10; a pool per route module would have opened more than that.
        expect.soft(rows[0]!.n).toBeGreaterThan(0);
        expect.soft(rows[0]!.n).toBeLessThanOrEqual(10);
      } finally {
        await admin.end();
      }
    });
  });
});
