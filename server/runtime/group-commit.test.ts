import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { commitInGroup } from "./group-commit";
import { isDataError } from "./db-retry";
import { heldRow, runRow, type RuntimeEvent } from "./outcome-rows";
import { acquirePartition, ensurePartitions, LostLeaseError, renewLeases, reportLag, type Lease } from "./partition-leases";

// Group commit (decision 0039): the batches a worker's partitions commit in the same turn share one
// statement, and still every partition is fenced on its own and only its own rows can be refused.
// Real Postgres.

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await ensurePartitions(database.prisma, 6);
});
afterAll(async () => {
  await database?.drop();
});

let seq = 0n;
function batch(lease: Lease, subject: string, cursor: bigint, error?: string) {
  seq += 1n;
  const event: RuntimeEvent = {
    event: { specversion: "1.0", id: `evt-${randomUUID()}`, source: "erp", type: "stock.changed", subject, data: { sku: subject } },
    headers: {}, sequence: seq, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  };
  const target = { flowId: "flow-1", flowVersion: 1, runId: randomUUID(), partition: lease.partition };
  const queued = { ...target, runId: randomUUID() };
  return {
    runs: [runRow(target, event, new Date(), { status: "succeeded", attempts: 1, steps: [], error }), runRow(queued, event, new Date(), { status: "held", attempts: 0, steps: [] })],
    processed: [{ eventId: event.event.id, flowId: "flow-1" }],
    held: [heldRow(queued, event, { attempts: 0, nextAttemptAt: new Date() })],
    deadLetters: [],
    cursor,
  };
}

async function written(subject: string) {
  const [runs, held] = await Promise.all([
    database.prisma.run.findMany({ where: { orderingKey: subject }, select: { worker: true } }),
    database.prisma.heldEvent.count({ where: { orderingKey: subject } }),
  ]);
  return { runs: runs.length, held, workers: [...new Set(runs.map((r) => r.worker))] };
}

const cursorOf = async (partition: number) => (await database.prisma.partition.findUniqueOrThrow({ where: { partition } })).cursor;

describe("group commit", () => {
  it("commits the partitions' batches of one turn together, and refuses only the partition whose lease was lost", async () => {
    const leases: Lease[] = [];
    for (let i = 0; i < 3; i++) leases.push((await acquirePartition(database.prisma, "worker-a", 10_000, 3))!);
    const [p0, p1, p2] = leases.sort((a, b) => a.partition - b.partition) as [Lease, Lease, Lease];
    // Partition 1 expires and another worker takes it over.
    await database.prisma.partition.update({ where: { partition: p1.partition }, data: { leaseUntil: new Date(Date.now() - 60_000) } });
    expect((await acquirePartition(database.prisma, "worker-b", 10_000, 3))?.partition).toBe(p1.partition);

    const results = await Promise.allSettled([
      commitInGroup(database.pool, "worker-a", p0, batch(p0, "SKU-G0", 5n)),
      commitInGroup(database.pool, "worker-a", p1, batch(p1, "SKU-G1", 6n)),
      commitInGroup(database.pool, "worker-a", p2, batch(p2, "SKU-G2", 7n)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(LostLeaseError);
    expect(await written("SKU-G0")).toEqual({ runs: 2, held: 1, workers: ["worker-a"] });
    expect(await written("SKU-G2")).toEqual({ runs: 2, held: 1, workers: ["worker-a"] });
    expect(await written("SKU-G1")).toEqual({ runs: 0, held: 0, workers: [] });
    expect([await cursorOf(p0.partition), await cursorOf(p1.partition), await cursorOf(p2.partition)]).toEqual([5n, 0n, 7n]);
  });

  it("when the database refuses one partition's rows, the other partitions' batches of the group still land", async () => {
    const a = (await acquirePartition(database.prisma, "worker-c", 10_000, 6))!;
    const b = (await acquirePartition(database.prisma, "worker-c", 10_000, 6))!;
    const results = await Promise.allSettled([
      commitInGroup(database.pool, "worker-c", a, batch(a, "SKU-BAD", 3n, "text with a NUL \u0000 in it")),
      commitInGroup(database.pool, "worker-c", b, batch(b, "SKU-GOOD", 4n)),
    ]);
    expect(results[0]!.status).toBe("rejected");
    expect(isDataError((results[0] as PromiseRejectedResult).reason)).toBe(true);
    expect(results[1]!.status).toBe("fulfilled");
    expect(await written("SKU-BAD")).toMatchObject({ runs: 0, held: 0 });
    expect(await written("SKU-GOOD")).toMatchObject({ runs: 2, held: 1 });
    expect([await cursorOf(a.partition), await cursorOf(b.partition)]).toEqual([0n, 4n]);
  });
});

describe("group commit beside the maintenance tick", () => {
  it("never deadlocks with the tick's lease renewal and lag report, which update the same partition rows", async () => {
    const owner = "worker-lock";
    await ensurePartitions(database.prisma, 16);
    await database.prisma.partition.updateMany({ data: { owner: null, leaseUntil: null } });
    const leases: Lease[] = [];
    for (let i = 0; i < 16; i++) leases.push((await acquirePartition(database.prisma, owner, 60_000, 16))!);
    // The group lists its partitions in the opposite order of the tick's statements.
    const descending = [...leases].sort((a, b) => b.partition - a.partition);
    const ascending = [...leases].sort((a, b) => a.partition - b.partition);
    let cursor = 1_000n;
    for (let round = 0; round < 300; round++) {
      cursor += 1n;
      const groups = descending.map((lease) => commitInGroup(database.pool, owner, lease, { runs: [], processed: [], held: [], deadLetters: [], cursor }));
      const tick = Promise.all([
        renewLeases(database.prisma, owner, ascending, 60_000),
        reportLag(database.prisma, owner, ascending.map((lease) => ({ lease, lag: round }))),
      ]);
      await Promise.all([...groups, tick]);
    }
    const rows = await database.prisma.partition.findMany({ where: { owner } });
    expect(rows.map((r) => r.cursor)).toEqual(rows.map(() => cursor));
  }, 120_000);
});
