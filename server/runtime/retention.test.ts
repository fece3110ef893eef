import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { sweepRetention } from "./retention";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

it("deletes finished runs and processed-event records past their retention, and nothing else", async () => {
  const day = 24 * 3600_000;
  const run = (id: string, ageDays: number, status: string) => ({
    id, flowId: "f", flowVersion: 1, eventId: `e-${id}`, eventType: "stock.changed", orderingKey: "SKU-1", status,
    traceId: "t", sequence: 1n, startedAt: new Date(Date.now() - ageDays * day),
  });
  await database.prisma.run.createMany({
    data: [run("old-done", 40, "succeeded"), run("old-dead", 40, "dead-lettered"), run("old-retrying", 40, "retrying"), run("new-done", 1, "succeeded")],
  });
  await database.prisma.processedEvent.createMany({
    data: [
      { eventId: "old", flowId: "f", processedAt: new Date(Date.now() - 8 * day) },
      { eventId: "new", flowId: "f", processedAt: new Date(Date.now() - 1 * day) },
    ],
  });

  const swept = await sweepRetention(database.pool, { runRetentionMs: 30 * day, processedRetentionMs: 7 * day, slice: 1 });
  expect(swept).toEqual({ runs: 2, processed: 1 });
  // A run still retrying is live state, whatever its age.
  expect((await database.prisma.run.findMany({ orderBy: { id: "asc" } })).map((r) => r.id)).toEqual(["new-done", "old-retrying"]);
  expect((await database.prisma.processedEvent.findMany()).map((p) => p.eventId)).toEqual(["new"]);
});
