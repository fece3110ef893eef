import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { commitOutcome } from "@/server/runtime/outcome-writer";
import { acquirePartition, ensurePartitions, releaseLease, reportLag } from "@/server/runtime/partition-leases";
import { health } from "./health";

// GET /api/health is not "ok" while a partition is stuck: its lease is held, events wait in it, and
// its cursor stands still. Real Postgres (rows written by the runtime's own lease and commit
// functions) and the real NATS; moving `cursorMovedAt` back stands in for two minutes passing.

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await ensurePartitions(database.prisma, 2);
});
afterAll(async () => {
  await database?.drop();
});

const check = () => health({ prisma: () => database.prisma });
const twoMinutesPass = () => database.prisma.$executeRaw`UPDATE "Partition" SET "cursorMovedAt" = "cursorMovedAt" - interval '2 minutes'`;

describe("health", () => {
  it("is degraded, saying which partition and why, while a held partition with lag does not move; ok again once it moves", async () => {
    const lease = (await acquirePartition(database.prisma, "worker-a", 60_000, 2))!;
    await reportLag(database.prisma, "worker-a", [{ lease, lag: 5 }]);
    expect(await check()).toMatchObject({ status: "ok", reasons: [], stuckPartitions: [] }); // it just took the lease

    await twoMinutesPass();
    const stuck = await check();
    expect(stuck.status).toBe("degraded");
    expect(stuck.stuckPartitions).toEqual([expect.objectContaining({ partition: lease.partition, owner: "worker-a", lag: 5 })]);
    expect(stuck.reasons).toEqual([expect.stringMatching(new RegExp(`^partition ${lease.partition} is stuck: 5 events waiting, its cursor has not moved for 1[23]\\d s while worker-a holds its lease$`))]);

    await commitOutcome(database.pool, "worker-a", lease, { cursor: 3n });
    expect(await check()).toMatchObject({ status: "ok", reasons: [] });
    await releaseLease(database.prisma, "worker-a", lease);
  });

  it("does not count a partition without lag, or one whose lease nobody holds, as stuck", async () => {
    const lease = (await acquirePartition(database.prisma, "worker-b", 60_000, 2))!;
    await reportLag(database.prisma, "worker-b", [{ lease, lag: 0 }]);
    await twoMinutesPass();
    expect((await check()).stuckPartitions).toEqual([]);

    await reportLag(database.prisma, "worker-b", [{ lease, lag: 7 }]);
    expect((await check()).stuckPartitions.map((p) => p.partition)).toEqual([lease.partition]);
    await releaseLease(database.prisma, "worker-b", lease);
    expect(await check()).toMatchObject({ status: "ok", stuckPartitions: [] });
  });
});
