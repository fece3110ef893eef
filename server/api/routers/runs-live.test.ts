import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { trpcError } from "@/server/testing/expect-failure";
import { callerFor, type TestCaller } from "@/server/testing/trpc-caller";

// The runs page's procedures as the browser calls them: search with field messages, the run
// detail, the live feed (a new run and a status change arrive without asking again) and reruns.

let database: TestDatabase;
let caller: TestCaller;
let flowId: string;

const run = (over: Record<string, unknown> = {}) => ({
  id: randomUUID(), flowId, flowVersion: 1, eventId: randomUUID(), eventType: "stock.changed", orderingKey: "SKU-LIVE",
  status: "succeeded", traceId: "t", sequence: 1n, startedAt: new Date(), businessKeys: ["SKU-LIVE"], ...over,
});

beforeAll(async () => {
  database = await createTestDatabase();
  caller = callerFor(database.prisma);
  flowId = (await database.prisma.flow.create({ data: { name: "Live flow", draft: {} } })).id;
});
afterAll(async () => {
  await database?.drop();
});

describe("runs procedures", () => {
  it("searches by business key and refuses bad filters as BAD_REQUEST with the field", async () => {
    await database.prisma.run.create({ data: run({ orderingKey: "ORDER-1", businessKeys: ["ORDER-1", "SKU-9"] }) });
    const { runs } = await caller.runs.search({ key: "SKU-9" });
    expect(runs.map((r) => r.orderingKey)).toEqual(["ORDER-1"]);
    const error = await trpcError(caller.runs.search({ from: new Date(2026, 1, 2), to: new Date(2026, 1, 1) }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain("the end of the time range is before its start");
  });

  it("sends the head of the list again when a run appears or changes", async () => {
    const feed = await caller.runs.live({ subject: "SKU-LIVE" });
    const iterator = feed[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value!.runs).toEqual([]);

    const created = run({ status: "retrying" });
    await database.prisma.run.create({ data: created });
    const second = await iterator.next();
    expect(second.value!.runs.map((r) => [r.id, r.status])).toEqual([[created.id, "retrying"]]);

    await database.prisma.run.update({ where: { id: created.id }, data: { status: "succeeded", finishedAt: new Date() } });
    const third = await iterator.next();
    expect(third.value!.runs.map((r) => r.status)).toEqual(["succeeded"]);
    await iterator.return?.(undefined);
  }, 20_000);

  it("shows a run's detail and refuses a rerun of a run without its event", async () => {
    const old = run();
    await database.prisma.run.create({ data: old });
    const detail = await caller.runs.detail({ id: old.id });
    expect(detail).toMatchObject({ id: old.id, flowName: "Live flow", event: null, steps: [], failedAttempts: [] });
    expect((await trpcError(caller.runs.detail({ id: "nope" }))).code).toBe("NOT_FOUND");
    const refused = await trpcError(caller.runs.rerun({ id: old.id, version: "original" }));
    expect(refused.code).toBe("CONFLICT");
  });
});
