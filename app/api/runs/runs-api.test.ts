import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { createApiKey } from "@/server/auth/api-keys";
import { keyTimelineJsonSchema, runDetailJsonSchema, runListJsonSchema } from "@/server/history/run-history";
import { apiErrorSchema } from "@/server/http-api/api-response";
import { healthSchema } from "@/server/http-api/health";

// GET /api/runs, /api/runs/{id} and /api/timeline through their route handlers, against a real
// database. Responses are held to the schemas /api/openapi.json publishes.

type Handler<P> = (req: Request, ctx: { params: Promise<P> }) => Promise<Response>;
let database: TestDatabase;
let key: string;
let routes: {
  list: Handler<Record<string, never>>;
  get: Handler<{ id: string }>;
  timeline: Handler<Record<string, never>>;
  health: Handler<Record<string, never>>;
};
const flowId = randomUUID();
const runIds: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
  process.env.NATS_URL ??= "nats://127.0.0.1:4222";
  key = (await createApiKey(database.prisma, "test")).key;
  routes = {
    list: (await import("@/app/api/runs/route")).GET,
    get: (await import("@/app/api/runs/[id]/route")).GET,
    timeline: (await import("@/app/api/timeline/route")).GET,
    health: (await import("@/app/api/health/route")).GET,
  };
  const start = Date.parse("2026-04-01T08:00:00Z");
  const rows = Array.from({ length: 25 }, (_, i) => ({
    id: randomUUID(),
    flowId,
    flowVersion: 3,
    eventId: `evt-${i}`,
    eventType: "price.changed",
    orderingKey: i % 2 ? "SKU-odd" : "SKU-even",
    status: i % 3 === 0 ? "failed" : "succeeded",
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    sequence: BigInt(i + 1),
    startedAt: new Date(start + i * 1000),
    finishedAt: new Date(start + i * 1000 + 40),
    steps: [{ nodeId: "trigger", kind: "trigger:price.changed", status: "succeeded", input: { sku: "A" } }],
  }));
  runIds.push(...rows.map((r) => r.id));
  await database.prisma.run.createMany({ data: rows });
});
afterAll(async () => {
  const { db } = await import("@/server/db/client");
  const { closeSharedNats } = await import("@/server/nats/connection");
  await closeSharedNats();
  await db().$disconnect();
  await database?.drop();
});

const noParams = { params: Promise.resolve({} as Record<string, never>) };
const get = (path: string, auth: string | null = `Bearer ${key}`) =>
  new Request(`http://localhost${path}`, { headers: auth ? { authorization: auth } : {} });

async function issues(response: Response) {
  expect(response.status).toBe(400);
  return apiErrorSchema.parse(await response.json()).error.issues?.map((i) => i.path) ?? [];
}

describe("GET /api/runs", () => {
  it("pages through a flow's runs newest first, no duplicates, no gaps", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response: Response = await routes.list(get(`/api/runs?flow=${flowId}&limit=7${cursor ? `&cursor=${cursor}` : ""}`), noParams);
      expect(response.status).toBe(200);
      const page = runListJsonSchema.parse(await response.json());
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...runIds].reverse());
  });

  it("filters by subject and status; empty parameters count as absent", async () => {
    const response = await routes.list(get("/api/runs?subject=SKU-even&status=failed&flow=&cursor="), noParams);
    const { runs } = runListJsonSchema.parse(await response.json());
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((r) => r.orderingKey === "SKU-even" && r.status === "failed")).toBe(true);
    expect(typeof runs[0]!.sequence).toBe("string");
  });

  it("answers 400 naming the parameter for a bad limit, status or cursor", async () => {
    expect(await issues(await routes.list(get("/api/runs?limit=0"), noParams))).toEqual(["limit"]);
    expect(await issues(await routes.list(get("/api/runs?limit=abc"), noParams))).toEqual(["limit"]);
    expect(await issues(await routes.list(get("/api/runs?status=exploded"), noParams))).toEqual(["status"]);
    expect(await issues(await routes.list(get("/api/runs?cursor=not-a-cursor"), noParams))).toEqual(["cursor"]);
  });

  it("answers 401 without a valid key", async () => {
    expect((await routes.list(get("/api/runs", null), noParams)).status).toBe(401);
    expect((await routes.get(get(`/api/runs/${runIds[0]}`, "Bearer syn_wrong"), { params: Promise.resolve({ id: runIds[0]! }) })).status).toBe(401);
    expect((await routes.timeline(get("/api/timeline?subject=SKU-odd", null), noParams)).status).toBe(401);
  });
});

describe("GET /api/runs/{id}", () => {
  it("returns the run with its steps, and 404 for an unknown id", async () => {
    const id = runIds[4]!;
    const response = await routes.get(get(`/api/runs/${id}`), { params: Promise.resolve({ id }) });
    expect(response.status).toBe(200);
    const run = runDetailJsonSchema.parse(await response.json());
    expect(run).toMatchObject({ id, sequence: "5", durationMs: 40, event: null, deadLetter: null });
    expect(run.steps).toHaveLength(1);
    const missing = await routes.get(get("/api/runs/missing"), { params: Promise.resolve({ id: "missing" }) });
    expect(missing.status).toBe(404);
  });
});

describe("GET /api/timeline", () => {
  it("lists one key's history and requires a subject", async () => {
    const response = await routes.timeline(get("/api/timeline?subject=SKU-odd&limit=5"), noParams);
    expect(response.status).toBe(200);
    const timeline = keyTimelineJsonSchema.parse(await response.json());
    expect(timeline.entries).toHaveLength(5);
    expect(timeline.truncated).toBe(true);
    expect(timeline.entries.every((e) => e.kind === "run" && e.run.orderingKey === "SKU-odd")).toBe(true);
    expect(await issues(await routes.timeline(get("/api/timeline"), noParams))).toEqual(["subject"]);
  });
});

// Workers run elsewhere, but GET /api/health is where people look for them; it lives with the run
// history because lag is what tells whether runs are keeping up.
describe("GET /api/health workers", () => {
  it("lists workers seen in the last 30 s with their partitions and lag, and sums the lag", async () => {
    await database.prisma.$executeRaw`
      INSERT INTO "Worker" (id, hostname, pid, "startedAt", "seenAt", partitions, lag) VALUES
        ('w-live-1', 'host-a', 101, now(), now(), '{3,1}', 12),
        ('w-live-2', 'host-b', 202, now(), now() - interval '5 seconds', '{0,2}', 30),
        ('w-gone', 'host-c', 303, now(), now() - interval '5 minutes', '{4}', 99)`;
    const response = await routes.health(new Request("http://localhost/api/health", { headers: { authorization: `Bearer ${key}` } }), { params: Promise.resolve({}) });
    const report = healthSchema.parse(await response.json());
    expect(report.database.ok).toBe(true);
    expect(report.workers).toMatchObject({ ok: true, count: 2, totalLag: 42 });
    expect(report.workers.active.map((w) => [w.id, w.hostname, w.pid, w.partitions, w.lag])).toEqual([
      ["w-live-1", "host-a", 101, [1, 3], 12],
      ["w-live-2", "host-b", 202, [0, 2], 30],
    ]);
  });
});
