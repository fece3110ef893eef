import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { commitOutcome } from "./outcome-writer";
import { heldRow, runRow, type RunTarget, type RuntimeEvent } from "./outcome-rows";
import { acquirePartition, ensurePartitions, LostLeaseError, type Lease } from "./partition-leases";

// The promise leases exist for: a worker that lost its partition (paused past its lease, then woke
// up) cannot commit anything, whatever it writes, once another owner took over. Real Postgres.

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await ensurePartitions(database.prisma, 4);
});
afterAll(async () => {
  await database?.drop();
});

let seq = 0n;
function streamEvent(subject: string): RuntimeEvent {
  seq += 1n;
  const event = { specversion: "1.0" as const, id: `evt-${randomUUID()}`, source: "erp", type: "stock.changed", subject, data: { sku: subject, quantity: 1 } };
  return { event, headers: {}, sequence: seq, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
}

function batchRows(lease: Lease, subject: string) {
  const e = streamEvent(subject);
  const target: RunTarget = { flowId: "flow-1", flowVersion: 1, runId: randomUUID(), partition: lease.partition };
  const queued = streamEvent(subject);
  const queuedTarget = { ...target, runId: randomUUID() };
  return {
    runs: [runRow(target, e, new Date(), { status: "succeeded", attempts: 1, steps: [] }), runRow(queuedTarget, queued, new Date(), { status: "held", attempts: 0, steps: [] })],
    processed: [{ eventId: e.event.id, flowId: "flow-1" }, { eventId: queued.event.id, flowId: "flow-1" }],
    held: [heldRow(queuedTarget, queued, { attempts: 0, nextAttemptAt: new Date() })],
    deadLetters: [],
  };
}

/** Takes `partition` away from its owner the way an expired lease does: another worker acquires it. */
async function takeOver(partition: number, newOwner: string): Promise<Lease> {
  await database.prisma.partition.update({ where: { partition }, data: { leaseUntil: new Date(Date.now() - 60_000) } });
  const lease = await acquirePartition(database.prisma, newOwner, 10_000, partition + 1);
  expect(lease?.partition).toBe(partition);
  return lease!;
}

async function counts(subject: string) {
  const [runs, processed, held, deadLetters] = await Promise.all([
    database.prisma.run.count({ where: { orderingKey: subject } }),
    database.prisma.processedEvent.count({ where: { eventId: { startsWith: "evt-" } } }),
    database.prisma.heldEvent.count({ where: { orderingKey: subject } }),
    database.prisma.deadLetter.count({ where: { orderingKey: subject } }),
  ]);
  return { runs, processed, held, deadLetters };
}

describe("commitOutcome", () => {
  it("refuses every write of an owner that lost its lease, and nothing it wrote lands", async () => {
    const stale = (await acquirePartition(database.prisma, "worker-a", 10_000, 1))!;
    expect(stale.partition).toBe(0);
    await commitOutcome(database.pool, "worker-a", stale, { ...batchRows(stale, "SKU-A-BEFORE"), cursor: 3n });
    expect(await counts("SKU-A-BEFORE")).toMatchObject({ runs: 2, held: 1 });

    const current = await takeOver(0, "worker-b");
    expect(current.epoch).toBeGreaterThan(stale.epoch);
    const processedBefore = (await counts("x")).processed;

    // A batch of the stale owner: runs, processed records, a queued event, a dead letter, a cursor.
    const staleBatch = batchRows(stale, "SKU-STALE");
    const deadLetter = {
      id: randomUUID(), flowId: "flow-1", flowVersion: 1, nodeId: "deliver", orderingKey: "SKU-STALE", eventId: "evt-dl", eventType: "stock.changed",
      event: {}, headers: {}, attempts: [], error: "HTTP 422", traceId: "t", runId: null, steps: [], sequence: 99n, partition: 0, status: "open",
    };
    await expect(commitOutcome(database.pool, "worker-a", stale, { ...staleBatch, deadLetters: [deadLetter], cursor: 50n })).rejects.toBeInstanceOf(LostLeaseError);
    expect(await counts("SKU-STALE")).toEqual({ runs: 0, processed: processedBefore, held: 0, deadLetters: 0 });
    expect((await database.prisma.partition.findUniqueOrThrow({ where: { partition: 0 } })).cursor).toBe(3n);

    // A lane's settlement of the stale owner: delete the queue head, finish its run.
    const head = await database.prisma.heldEvent.findFirstOrThrow({ where: { orderingKey: "SKU-A-BEFORE" } });
    await expect(commitOutcome(database.pool, "worker-a", stale, {
      heldDeletes: [head.id],
      runUpdates: [{ id: head.runId, status: "succeeded", attempts: 1, finishedAt: new Date(), error: null }],
    })).rejects.toBeInstanceOf(LostLeaseError);
    expect(await database.prisma.heldEvent.count({ where: { id: head.id } })).toBe(1);
    expect((await database.prisma.run.findUniqueOrThrow({ where: { id: head.runId } })).status).toBe("held");

    // Being the same worker again later does not revive the old lease: the epoch decides.
    await takeOver(0, "worker-a");
    await expect(commitOutcome(database.pool, "worker-a", stale, { cursor: 60n })).rejects.toBeInstanceOf(LostLeaseError);

    // The current owner's writes land.
    const now = (await database.prisma.partition.findUniqueOrThrow({ where: { partition: 0 } }));
    const lease: Lease = { partition: 0, epoch: now.epoch, cursor: now.cursor };
    await commitOutcome(database.pool, "worker-a", lease, { heldDeletes: [head.id], runUpdates: [{ id: head.runId, status: "succeeded", attempts: 1, error: null }], cursor: 7n });
    expect(await database.prisma.heldEvent.count({ where: { id: head.id } })).toBe(0);
    expect((await database.prisma.run.findUniqueOrThrow({ where: { id: head.runId } })).status).toBe("succeeded");
    expect((await database.prisma.partition.findUniqueOrThrow({ where: { partition: 0 } })).cursor).toBe(7n);
  });

  it("refuses a stale redrive: the letter stays requested and its run untouched", async () => {
    const stale = (await acquirePartition(database.prisma, "worker-c", 10_000, 2))!;
    const current = await takeOver(stale.partition, "worker-d");
    const runId = randomUUID();
    await commitOutcome(database.pool, "worker-d", current, { runs: [{ ...runRow({ flowId: "flow-1", flowVersion: 1, runId, partition: current.partition }, streamEvent("SKU-RD"), new Date(), { status: "dead-lettered", attempts: 2, steps: [], error: "HTTP 500" }) }] });
    const dl = await database.prisma.deadLetter.create({
      data: {
        flowId: "flow-1", flowVersion: 1, nodeId: "deliver", orderingKey: "SKU-RD", eventId: "evt-rd", eventType: "stock.changed", event: {},
        attempts: [], error: "HTTP 500", traceId: "t", runId, sequence: 5n, partition: current.partition, status: "redrive-requested",
      },
    });
    const settlement = { deadLetterId: dl.id, status: "redriven" as const, run: { status: "succeeded", attempts: 3, error: null } };
    await expect(commitOutcome(database.pool, "worker-c", stale, { redrive: settlement })).rejects.toBeInstanceOf(LostLeaseError);
    expect((await database.prisma.deadLetter.findUniqueOrThrow({ where: { id: dl.id } })).status).toBe("redrive-requested");
    expect(await database.prisma.run.findUniqueOrThrow({ where: { id: runId } })).toMatchObject({ status: "dead-lettered", attempts: 2 });

    await commitOutcome(database.pool, "worker-d", current, { redrive: settlement });
    expect((await database.prisma.deadLetter.findUniqueOrThrow({ where: { id: dl.id } })).status).toBe("redriven");
    expect(await database.prisma.run.findUniqueOrThrow({ where: { id: runId } })).toMatchObject({ status: "succeeded", attempts: 3, error: null });
  });

  it("stores each run's history fields and the worker of every write, through one fenced statement", async () => {
    const lease = (await acquirePartition(database.prisma, "worker-f", 10_000, 3))!;
    const order = streamEvent("ORDER-1");
    order.event = { ...order.event, type: "order.placed", data: { orderId: "ORDER-1", lines: [{ sku: "SKU-X" }, { sku: "SKU-Y" }] } } as typeof order.event;
    order.headers = { "Nats-Msg-Id": order.event.id };
    order.delivery = { stream: "test_events", count: 2 };
    const stock = streamEvent("SKU-X");
    const [orderRun, stockRun] = [randomUUID(), randomUUID()];
    const failed = [{ at: "2026-12-01T10:00:00.000Z", error: "HTTP 503", transient: true, attempt: 1, retryAt: "2026-12-01T10:00:01.000Z" }];
    // Runs with different numbers of business keys in one insert (a text[][] could not hold them).
    await commitOutcome(database.pool, "worker-f", lease, {
      runs: [
        runRow({ flowId: "flow-1", flowVersion: 1, runId: orderRun, partition: lease.partition }, order, new Date(), { status: "retrying", attempts: 1, steps: [], error: "HTTP 503", errors: failed }),
        runRow({ flowId: "flow-1", flowVersion: 1, runId: stockRun, partition: lease.partition }, stock, new Date(), { status: "succeeded", attempts: 1, steps: [] }),
      ],
    });
    expect(await database.prisma.run.findUniqueOrThrow({ where: { id: orderRun } })).toMatchObject({
      businessKeys: ["ORDER-1", "SKU-X", "SKU-Y"], event: { id: order.event.id, data: { orderId: "ORDER-1" } }, headers: { "Nats-Msg-Id": order.event.id },
      stream: "test_events", partition: lease.partition, deliveryCount: 2, worker: "worker-f", errors: failed,
    });
    expect(await database.prisma.run.findUniqueOrThrow({ where: { id: stockRun } })).toMatchObject({ businessKeys: ["SKU-X"], deliveryCount: 1, worker: "worker-f", errors: [] });

    // The next owner settles the run: it becomes that worker's, with the errors it names.
    const next = await takeOver(lease.partition, "worker-g");
    await commitOutcome(database.pool, "worker-g", next, { runUpdates: [{ id: orderRun, status: "succeeded", errors: failed }] });
    expect(await database.prisma.run.findUniqueOrThrow({ where: { id: orderRun } })).toMatchObject({ status: "succeeded", worker: "worker-g", errors: failed, deliveryCount: 2 });
  });

  it("changes only the columns an update names, and settles a redrive only while it is still requested", async () => {
    const lease = (await acquirePartition(database.prisma, "worker-e", 10_000, 4))!;
    const e = streamEvent("SKU-COLS");
    const runId = randomUUID();
    const target = { flowId: "flow-1", flowVersion: 1, runId, partition: lease.partition };
    const step = { nodeId: "deliver", kind: "action:http-request", status: "failed" as const, attempt: 1, startedAt: "x", finishedAt: "y" };
    await commitOutcome(database.pool, "worker-e", lease, {
      runs: [runRow(target, e, new Date(), { status: "retrying", attempts: 1, steps: [step], error: "HTTP 503" })],
      held: [heldRow(target, e, { attempts: 1, nextAttemptAt: new Date(), errors: [{ at: "x", error: "HTTP 503", transient: true, attempt: 1 }] })],
    });
    const head = await database.prisma.heldEvent.findFirstOrThrow({ where: { runId } });
    await commitOutcome(database.pool, "worker-e", lease, { runUpdates: [{ id: runId, status: "held" }], heldUpdates: [{ id: head.id, state: "detached" }] });
    expect(await database.prisma.run.findUniqueOrThrow({ where: { id: runId } })).toMatchObject({ status: "held", attempts: 1, error: "HTTP 503", steps: [step] });
    expect(await database.prisma.heldEvent.findUniqueOrThrow({ where: { id: head.id } })).toMatchObject({ state: "detached", attempts: 1, errors: [{ error: "HTTP 503" }] });
    await commitOutcome(database.pool, "worker-e", lease, { runUpdates: [{ id: runId, error: null }] });
    expect(await database.prisma.run.findUniqueOrThrow({ where: { id: runId } })).toMatchObject({ status: "held", error: null });

    const discarded = await database.prisma.deadLetter.create({
      data: {
        flowId: "flow-1", flowVersion: 1, nodeId: "deliver", orderingKey: "SKU-COLS", eventId: "evt-cols", eventType: "stock.changed", event: {},
        attempts: [], error: "HTTP 500", traceId: "t", runId, sequence: 6n, partition: lease.partition, status: "discarded",
      },
    });
    await commitOutcome(database.pool, "worker-e", lease, { redrive: { deadLetterId: discarded.id, status: "open", error: "again", run: { attempts: 9 } } });
    expect(await database.prisma.deadLetter.findUniqueOrThrow({ where: { id: discarded.id } })).toMatchObject({ status: "discarded", error: "HTTP 500" });
    expect((await database.prisma.run.findUniqueOrThrow({ where: { id: runId } })).attempts).toBe(1);
  });
});
