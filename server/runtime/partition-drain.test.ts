import { afterEach, describe, expect, it } from "vitest";
import pg from "pg";
import { requestRedrive } from "@/server/history/dead-letter-store";
import { acquireThisPartition, PartitionDrain, type DrainReport } from "./partition-drain";
import { partitionOf } from "./stream-layout";
import {
  assertInOrderComplete, interleavedStockEvents, startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture,
} from "./testing/runtime-fixture";

// The serverless drain step against a real nats-server and Postgres: a drain is called again and
// again (as the cron route would be) instead of a worker running.

let fixture: RuntimeFixture | undefined;
let pool: pg.Pool | undefined;
afterEach(async () => {
  await pool?.end();
  pool = undefined;
  await fixture?.close();
  fixture = undefined;
});

const keys = (n: number) => Array.from({ length: n }, (_, i) => `SKU-${String(i).padStart(3, "0")}`);

function drainFor(f: RuntimeFixture, leaseTtlMs?: number) {
  pool = new pg.Pool({ connectionString: f.database.url, max: 12 });
  // The fixture drops the database with FORCE at the end; an idle client may hear about it first.
  pool.on("error", () => {});
  return new PartitionDrain({
    db: f.database.prisma, pool, nc: f.nc, layout: f.layout, leaseTtlMs,
    services: { httpAllowlist: ["127.0.0.1"], db: f.database.prisma, nats: f.nc, prefix: f.layout.prefix },
    maxRetryAgeMs: 24 * 3600_000, log: () => {},
  });
}

/** Calls the drain until `done()` holds, like a cron driver; returns every report. */
async function drainUntil(drain: PartitionDrain, done: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000) {
  const reports: DrainReport[] = [];
  const until = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`timed out draining until ${what}`);
    reports.push(await drain.drain({ budgetMs: 5_000 }));
  }
  return reports;
}

describe("partition drain", () => {
  it("processes every pending event in per-key order through failures, and commits the cursor", async () => {
    fixture = await startRuntimeFixture({ partitions: 4 });
    const { receiver } = fixture;
    receiver.failureRate = 0.2;
    await fixture.deployFlow(stockToReceiverFlow(receiver.url));
    const skus = keys(20);
    const events = interleavedStockEvents(skus, 10);
    await fixture.publish(events);
    const drain = drainFor(fixture);

    const reports = await drainUntil(drain, async () =>
      receiver.effects.length >= events.length && (await fixture!.database.prisma.heldEvent.count()) === 0, "every delivery");
    assertInOrderComplete(receiver.effectsByKey(), skus, 10);
    expect(receiver.effects.length).toBe(events.length);
    expect(receiver.requests).toBeGreaterThan(events.length); // failures really happened
    expect(reports.reduce((n, r) => n + r.eventsProcessed, 0)).toBe(events.length);
    expect(reports[0]!.partitionsDrained.length).toBeGreaterThan(0);

    // Every partition's cursor is at the stream's end and every lease is handed back.
    const rows = await fixture.database.prisma.partition.findMany({ orderBy: { partition: "asc" } });
    expect(rows.map((r) => r.owner)).toEqual([null, null, null, null]);
    expect(rows.reduce((n, r) => n + Number(r.cursor > 0n), 0)).toBe(new Set(skus.map((s) => partitionOf(s, 4))).size);
    expect(Math.max(...rows.map((r) => Number(r.cursor)))).toBe(events.length);
    // Nothing left: a further drain does nothing.
    const idle = await drain.drain({ budgetMs: 3_000 });
    expect(idle).toMatchObject({ eventsProcessed: 0, heldEventsRun: 0, partitionsDrained: [], budgetExhausted: false });
  }, 90_000);

  it("leaves a partition whose lease a live worker holds alone", async () => {
    fixture = await startRuntimeFixture({ partitions: 2 });
    const { receiver } = fixture;
    await fixture.deployFlow(stockToReceiverFlow(receiver.url));
    const worker = await fixture.startWorkerInProcess();
    expect(worker.partitions).toEqual([0, 1]);
    const drain = drainFor(fixture);
    const report = await drain.drain({ budgetMs: 2_000 });
    expect(report.partitionsBusy).toEqual([0, 1]);
    expect(report.partitionsDrained).toEqual([]);
    const owners = await fixture.database.prisma.partition.findMany({ select: { owner: true } });
    expect(owners.every((o) => o.owner === worker.id)).toBe(true);
  }, 60_000);

  it("resumes at the committed cursor once the lease of a drain that died runs out", async () => {
    fixture = await startRuntimeFixture({ partitions: 1 });
    const { receiver } = fixture;
    await fixture.deployFlow(stockToReceiverFlow(receiver.url));
    const skus = keys(5);
    const events = interleavedStockEvents(skus, 4);
    const drain = drainFor(fixture, 1_000);
    await fixture.publish(events.slice(0, 10));
    await drainUntil(drain, () => receiver.effects.length >= 10, "the first half");
    // A drain that took the lease and was killed before committing anything.
    const dead = await acquireThisPartition(fixture.database.prisma, "drain-killed", 0, 1_500);
    expect(dead).toBeDefined();
    await fixture.publish(events.slice(10));
    const blocked = await drain.drain({ budgetMs: 500 });
    expect(blocked.partitionsBusy).toEqual([0]);
    expect(receiver.effects.length).toBe(10);
    await drainUntil(drain, () => receiver.effects.length >= events.length, "the rest after the lease expired");
    assertInOrderComplete(receiver.effectsByKey(), skus, 4);
    expect(receiver.effects.length).toBe(events.length);
    const row = await fixture.database.prisma.partition.findUniqueOrThrow({ where: { partition: 0 } });
    expect(row.cursor).toBe(BigInt(events.length));
    expect(row.epoch).toBeGreaterThan(dead!.epoch);
  }, 60_000);

  it("dead-letters a poison event, holds its key, and runs the redrive on the next drain", async () => {
    fixture = await startRuntimeFixture({ partitions: 2 });
    const { receiver } = fixture;
    receiver.poison = (body) => body.sku === "SKU-POISON" && body.seq === 2;
    await fixture.deployFlow(stockToReceiverFlow(receiver.url, { attempts: 2 }));
    const skus = ["SKU-POISON", ...keys(3)];
    await fixture.publish(interleavedStockEvents(skus, 4));
    const drain = drainFor(fixture);
    const prisma = fixture.database.prisma;
    await drainUntil(drain, async () => (await prisma.deadLetter.count()) === 1 && receiver.effects.length >= 3 * 4 + 1, "the dead letter");
    expect(receiver.effectsByKey().get("SKU-POISON")).toEqual([1]);
    expect(await prisma.heldEvent.count({ where: { orderingKey: "SKU-POISON" } })).toBe(2);
    // Held by the dead letter: drains leave the key alone.
    await drain.drain({ budgetMs: 1_000 });
    expect(receiver.effectsByKey().get("SKU-POISON")).toEqual([1]);

    const deadLetter = await prisma.deadLetter.findFirstOrThrow();
    const edited = { ...(deadLetter.event as object), data: { sku: "SKU-POISON", quantity: 20 } };
    await requestRedrive(prisma, deadLetter.id, { event: edited });
    const reports = await drainUntil(drain, () => (receiver.effectsByKey().get("SKU-POISON") ?? []).length === 4, "the redrive");
    expect(receiver.effectsByKey().get("SKU-POISON")).toEqual([1, 20, 3, 4]);
    expect(reports.reduce((n, r) => n + r.heldEventsRun, 0)).toBeGreaterThan(0);
  }, 60_000);

  it("fires a due schedule tick from the cron drain, exactly once even when two drains run at the same time", async () => {
    fixture = await startRuntimeFixture({ partitions: 2 });
    const { receiver } = fixture;
    const prisma = fixture.database.prisma;
    const flowId = await fixture.deployFlow({
      schemaVersion: 1,
      name: "Every minute",
      nodes: [
        { id: "tick", kind: "trigger:schedule", version: 1, position: { x: 0, y: 0 }, config: { cron: "* * * * *", timezone: "UTC" } },
        {
          id: "deliver", kind: "action:http-request", version: 1, position: { x: 300, y: 0 },
          config: { method: "POST", url: `${receiver.url}/tick`, body: '{"sku": "tick", "seq": $toMillis(event.data.scheduledTime)}', timeoutMs: 2000 },
        },
      ],
      edges: [{ id: "e1", source: "tick", target: "deliver" }],
      settings: { orderingPolicy: "hold" },
    });
    const first = drainFor(fixture);
    // The schedule's cursor starts when a drain first sees it; a few minutes later, the last
    // minute's tick is due (older ones are missed under the default policy).
    expect((await first.drain({ budgetMs: 3_000, scheduleTicks: true })).scheduleTicksFired).toBe(0);
    await prisma.scheduleCursor.update({ where: { flowId }, data: { lastTickAt: new Date(Date.now() - 3 * 60_000) } });

    const otherPool = new pg.Pool({ connectionString: fixture.database.url, max: 12 });
    otherPool.on("error", () => {});
    try {
      const second = new PartitionDrain({
        db: prisma, pool: otherPool, nc: fixture.nc, layout: fixture.layout,
        services: { httpAllowlist: ["127.0.0.1"], db: prisma, nats: fixture.nc, prefix: fixture.layout.prefix }, maxRetryAgeMs: 24 * 3600_000, log: () => {},
      });
      const reports = await Promise.all([first.drain({ budgetMs: 5_000, scheduleTicks: true }), second.drain({ budgetMs: 5_000, scheduleTicks: true })]);
      expect(reports.map((r) => r.scheduleTicksFired).sort()).toEqual(expect.arrayContaining([1]));
      await drainUntil(first, async () => (await prisma.run.count({ where: { flowId, status: "succeeded" } })) >= 1, "the tick's run");
    } finally {
      await otherPool.end();
    }
    const runs = await prisma.run.findMany({ where: { flowId } });
    expect(runs).toHaveLength(1);
    const tick = Date.parse(runs[0]!.eventId.slice(`schedule:${flowId}:`.length));
    expect(tick % 60_000).toBe(0);
    expect(receiver.effects.map((e) => e.body.seq)).toEqual([tick]);
  }, 90_000);
});
