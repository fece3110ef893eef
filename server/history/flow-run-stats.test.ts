import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { flowRunStats } from "./flow-run-stats";

let database: TestDatabase;
afterAll(async () => {
  await database?.drop();
});
beforeAll(async () => {
  database = await createTestDatabase();
});

describe("flowRunStats", () => {
  it("counts a flow's production runs and failures of the last 24 h, its last run and open dead letters", async () => {
    const prisma = database.prisma;
    const now = new Date(Date.UTC(2026, 4, 2, 12));
    const busy = (await prisma.flow.create({ data: { name: "Busy", draft: {} } })).id;
    const idle = (await prisma.flow.create({ data: { name: "Idle", draft: {} } })).id;
    const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600_000);
    const run = (startedAt: Date, status: string, test = false) => ({
      id: randomUUID(), flowId: busy, flowVersion: 1, eventId: randomUUID(), eventType: "stock.changed", orderingKey: "SKU-1",
      status, traceId: "t", sequence: 1n, startedAt, test,
    });
    await prisma.run.createMany({
      data: [run(hoursAgo(30), "failed"), run(hoursAgo(5), "succeeded"), run(hoursAgo(3), "dead-lettered"), run(hoursAgo(1), "failed", true)],
    });
    const dl = { flowId: busy, flowVersion: 1, orderingKey: "SKU-1", eventId: "e", eventType: "stock.changed", event: {}, error: "x", traceId: "t", sequence: 1n, partition: 0 };
    await prisma.deadLetter.createMany({ data: [dl, { ...dl, status: "redriven" }] });

    const [b, i] = await flowRunStats(prisma, [busy, idle], now);
    expect(b).toMatchObject({ flowId: busy, runs24h: 2, failures24h: 1, openDeadLetters: 1, lastRun: { status: "dead-lettered", startedAt: hoursAgo(3) } });
    expect(i).toEqual({ flowId: idle, lastRun: null, runs24h: 0, failures24h: 0, openDeadLetters: 0 });
  });
});
