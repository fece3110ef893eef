import { randomUUID } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismaClient } from "@/server/db/generated/client";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { InvalidInputError, NotFoundError } from "@/server/domain-errors";
import { encodeCursor, getRun, keyTimeline, listRuns, type RunSummary } from "./run-history";

// Run history against a real Postgres: filters, keyset pagination, and the query plan that keeps
// the list fast at a million runs.

let database: TestDatabase;
let flowA: string;
let flowB: string;
const base = Date.parse("2026-03-01T10:00:00.000Z");

beforeAll(async () => {
  database = await createTestDatabase();
  flowA = (await database.prisma.flow.create({ data: { name: "Stock to channels", draft: {} } })).id;
  flowB = randomUUID(); // a flow deleted since: its runs stay, without a name
});
afterAll(async () => {
  await database?.drop();
});

let seq = 0n;
function run(over: Partial<Parameters<TestDatabase["prisma"]["run"]["create"]>[0]["data"]> & { startedAt: Date }) {
  seq += 1n;
  return {
    id: randomUUID(),
    flowId: flowA,
    flowVersion: 1,
    eventId: `evt-${seq}`,
    eventType: "stock.changed",
    orderingKey: "SKU-1",
    status: "succeeded",
    traceId: "0af7651916cd43dd8448eb211c80319c",
    sequence: seq,
    ...over,
  };
}

async function collectAll(filter: Parameters<typeof listRuns>[1]): Promise<RunSummary[]> {
  const all: RunSummary[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await listRuns(database.prisma, { ...filter, cursor });
    all.push(...page.runs);
    if (!page.nextCursor) return all;
    cursor = page.nextCursor;
  }
  throw new Error("pagination did not end");
}

describe("listRuns", () => {
  const scope = "list";
  beforeAll(async () => {
    const rows = [];
    // 37 runs of one key; groups of three share a millisecond so the id tie-break is exercised.
    for (let i = 0; i < 37; i++) {
      rows.push(
        run({
          orderingKey: `${scope}-SKU-1`,
          startedAt: new Date(base + Math.floor(i / 3) * 1000),
          finishedAt: new Date(base + Math.floor(i / 3) * 1000 + 25),
          status: i % 5 === 0 ? "failed" : "succeeded",
          flowId: i % 4 === 0 ? flowB : flowA,
        }),
      );
    }
    rows.push(run({ orderingKey: `${scope}-SKU-2`, startedAt: new Date(base + 500), status: "dead-lettered" }));
    await database.prisma.run.createMany({ data: rows });
  });

  it("pages newest first across pages with no duplicates and no gaps", async () => {
    const all = await collectAll({ subject: `${scope}-SKU-1`, limit: 5 });
    expect(all).toHaveLength(37);
    expect(new Set(all.map((r) => r.id)).size).toBe(37);
    const expected = [...all].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || (a.id < b.id ? 1 : -1));
    expect(all.map((r) => r.id)).toEqual(expected.map((r) => r.id));
  });

  it("filters by flow, subject and status, combined", async () => {
    const failed = await collectAll({ subject: `${scope}-SKU-1`, status: "failed", limit: 3 });
    expect(failed).toHaveLength(8);
    expect(failed.every((r) => r.status === "failed")).toBe(true);

    const ofB = await collectAll({ flowId: flowB, subject: `${scope}-SKU-1` });
    expect(ofB).toHaveLength(10);
    expect(ofB.every((r) => r.flowId === flowB && r.flowName === null)).toBe(true);

    const other = await listRuns(database.prisma, { subject: `${scope}-SKU-2` });
    expect(other.runs.map((r) => r.status)).toEqual(["dead-lettered"]);
    expect(other.nextCursor).toBeNull();
    expect(other.runs[0]).toMatchObject({ flowName: "Stock to channels", durationMs: null, finishedAt: null });
  });

  it("reports sequence as a string and a duration", async () => {
    const { runs } = await listRuns(database.prisma, { subject: `${scope}-SKU-1`, limit: 1 });
    expect(typeof runs[0]!.sequence).toBe("string");
    expect(runs[0]!.durationMs).toBe(25);
    expect(JSON.parse(JSON.stringify(runs[0]))).toMatchObject({ sequence: runs[0]!.sequence });
  });

  it("refuses invalid cursors and limits as invalid input (a 400), never a 500", async () => {
    for (const cursor of ["garbage", "%%%", Buffer.from('["runs","yesterday","x"]').toString("base64url"), encodeCursor("dead-letters", new Date(), "x")]) {
      const error = await listRuns(database.prisma, { cursor }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).issues[0]?.path).toBe("cursor");
    }
    for (const limit of [0, 201, 1.5]) {
      expect(await listRuns(database.prisma, { limit }).catch((e: unknown) => e)).toBeInstanceOf(InvalidInputError);
    }
  });
});

describe("getRun", () => {
  it("returns the steps and, for a dead-lettered run, the event from its dead letter", async () => {
    const steps = [{ nodeId: "notify", kind: "action:http-request", status: "failed", attempts: 3, input: { sku: "A" }, output: null, error: "HTTP 400" }];
    const row = run({ orderingKey: "get-SKU", startedAt: new Date(base), status: "dead-lettered", steps, sequence: 9_007_199_254_740_993n });
    await database.prisma.run.create({ data: row });
    const event = { specversion: "1.0", id: row.eventId, source: "test", type: "stock.changed", subject: "get-SKU", data: { sku: "A", quantity: 1 } };
    const letter = await database.prisma.deadLetter.create({
      data: {
        flowId: flowA, flowVersion: 1, nodeId: "notify", orderingKey: "get-SKU", eventId: row.eventId, eventType: "stock.changed",
        event, error: "HTTP 400", traceId: row.traceId, runId: row.id, sequence: row.sequence, partition: 3,
      },
    });
    const detail = await getRun(database.prisma, row.id);
    expect(detail.steps).toEqual(steps);
    expect(detail.event).toEqual(event);
    expect(detail.deadLetter).toEqual({ id: letter.id, status: "open" });
    expect(detail.sequence).toBe("9007199254740993");
  });

  it("refuses an unknown run as not found (a 404)", async () => {
    const error = await getRun(database.prisma, "no-such-run").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).message).toBe('No run with id "no-such-run".');
  });
});

describe("keyTimeline", () => {
  it("shows runs, dead letters and held events of one key across flows, newest first", async () => {
    const key = "timeline-SKU";
    await database.prisma.run.createMany({
      data: [
        run({ orderingKey: key, startedAt: new Date(base + 1000), flowId: flowA }),
        run({ orderingKey: key, startedAt: new Date(base + 2000), flowId: flowB, status: "dead-lettered" }),
        run({ orderingKey: "another-key", startedAt: new Date(base + 2500) }),
      ],
    });
    await database.prisma.deadLetter.create({
      data: {
        flowId: flowB, flowVersion: 2, orderingKey: key, eventId: "evt-dl", eventType: "stock.changed", event: {}, error: "HTTP 400",
        traceId: "t", sequence: 5n, partition: 1, createdAt: new Date(base + 3000),
      },
    });
    await database.prisma.heldEvent.create({
      data: {
        partition: 1, flowId: flowB, flowVersion: 2, orderingKey: key, eventId: "evt-held", event: { type: "stock.changed" }, sequence: 6n,
        createdAt: new Date(base + 4000), attempts: 2, runId: "run-of-held", errors: [{ at: "x", error: "timeout", transient: true }],
      },
    });
    const timeline = await keyTimeline(database.prisma, key);
    expect(timeline.entries.map((e) => e.kind)).toEqual(["held", "dead-letter", "run", "run"]);
    expect(timeline.truncated).toBe(false);
    const held = timeline.entries[0]!;
    expect(held.kind === "held" && held.held).toMatchObject({ eventId: "evt-held", eventType: "stock.changed", attempts: 2, state: "queued", lastError: "timeout", runId: "run-of-held" });
    expect(JSON.parse(JSON.stringify(timeline))).toBeTruthy(); // no BigInt left in it

    const limited = await keyTimeline(database.prisma, key, { limit: 1 });
    expect(limited.entries.map((e) => e.kind)).toEqual(["held"]);
    expect(limited.truncated).toBe(true);
  });
});

describe("list query plan", () => {
  // The plan, not a timing, is what a test can assert reliably: with an index scan a page reads
  // about `limit` rows whatever the table size; a Seq Scan reads them all (README "Performance").
  it("uses an index for every filter and for deep pages, never a Seq Scan on Run", async () => {
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const queries: { query: string; params: unknown[] }[] = [];
    const logging = new PrismaClient({ adapter: new PrismaPg({ connectionString: database.url }), log: [{ emit: "event", level: "query" }] });
    logging.$on("query", (e) => queries.push({ query: e.query, params: JSON.parse(e.params) as unknown[] }));
    try {
      // 60k runs: 20 flows, 5,000 keys plus one hot key with a tenth of all runs, six statuses,
      // one run per 10 ms.
      await admin.query(`
        INSERT INTO "Run" (id, "flowId", "flowVersion", "eventId", "eventType", "orderingKey", status, "traceId", sequence, "startedAt")
        SELECT gen_random_uuid()::text, 'plan-flow-' || (g % 20), 1, 'plan-evt-' || g, 'stock.changed', CASE WHEN g % 10 = 0 THEN 'plan-SKU-hot' ELSE 'plan-SKU-' || (g % 5000) END,
               (ARRAY['succeeded','failed','retrying','held','dead-lettered','skipped'])[1 + g % 6], 't', 1000000 + g,
               timestamp '2026-01-01' + g * interval '10 milliseconds'
        FROM generate_series(1, 60000) g`);
      await admin.query(`ANALYZE "Run"`);

      const middle = await listRuns(logging, { limit: 50 });
      const deep = encodeCursor("runs", new Date(Date.parse("2026-01-01T00:05:00Z")), "m");
      const filters: Parameters<typeof listRuns>[1][] = [
        {},
        { cursor: middle.nextCursor! },
        { cursor: deep },
        { flowId: "plan-flow-7" },
        { flowId: "plan-flow-7", cursor: deep },
        { subject: "plan-SKU-42" },
        { subject: "plan-SKU-42", cursor: deep },
        { subject: "plan-SKU-hot" },
        { subject: "plan-SKU-hot", cursor: deep },
        { status: "retrying" },
        { status: "retrying", cursor: deep },
        { flowId: "plan-flow-7", status: "failed" },
      ];
      for (const filter of filters) {
        queries.length = 0;
        await listRuns(logging, { limit: 50, ...filter });
        const list = queries.find((q) => /FROM "public"\."Run"/.test(q.query));
        expect(list, JSON.stringify(filter)).toBeDefined();
        const plan = (await admin.query(`EXPLAIN ${list!.query}`, list!.params)).rows.map((r: { "QUERY PLAN": string }) => r["QUERY PLAN"]).join("\n");
        const context = `${JSON.stringify(filter)}\n${plan}`;
        expect(plan, context).not.toMatch(/Seq Scan/);
        expect(plan, context).toMatch(/(Index Scan (Backward )?using|Bitmap Index Scan on) "Run_([A-Za-z]+_){0,2}startedAt(_id)?_idx"/);
        // Sorting everything that matches is fine for a key with a dozen runs, not for a hot one:
        // there the scan must deliver rows in order so the LIMIT stops it early.
        if (filter?.subject === "plan-SKU-hot" || !filter?.subject) expect(plan, context).not.toMatch(/(^|->\s+)Sort\s+\(/m);
        // A deep page must start inside the index (a range condition on startedAt), not filter
        // its way down from the newest run.
        if (filter?.cursor) expect(plan, context).toMatch(/Index Cond: .*"startedAt" <= /);
      }
    } finally {
      await logging.$disconnect();
      await admin.end();
    }
  });
});
