import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { createApiKey } from "@/server/auth/api-keys";

// GET /api/metrics through its route handler: protected by an API key, Prometheus text format.

let database: TestDatabase;
let key: string;
let GET: (req: Request, ctx: { params: Promise<Record<string, never>> }) => Promise<Response>;

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
  process.env.NATS_URL ??= "nats://127.0.0.1:4222";
  process.env.SYNCLINE_PREFIX = `t${randomBytes(4).toString("hex")}`;
  key = (await createApiKey(database.prisma, "metrics")).key;
  GET = (await import("@/app/api/metrics/route")).GET;
});
afterAll(async () => {
  const { db } = await import("@/server/db/client");
  const { closeSharedNats } = await import("@/server/nats/connection");
  await closeSharedNats();
  await db().$disconnect();
  await database?.drop();
});

const call = (authorization?: string) =>
  GET(new Request("http://localhost/api/metrics", { headers: authorization ? { authorization } : {} }), { params: Promise.resolve({}) });

describe("GET /api/metrics", () => {
  it("refuses a request without a valid API key", async () => {
    expect((await call()).status).toBe(401);
    expect((await call("Bearer syn_not_a_real_key_000000")).status).toBe(401);
  });

  it("answers the Prometheus text format with the syncline metrics", async () => {
    const response = await call(`Bearer ${key}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const name of ["syncline_runs_total", "syncline_run_duration_seconds", "syncline_consumer_lag", "syncline_dead_letters_open", "syncline_held_events", "syncline_worker_up", "syncline_events_ingested_total"]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });
});
