import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { callerFor, type TestCaller } from "@/server/testing/trpc-caller";

// The runs router as the UI calls it: typed results (Dates stay Dates through superjson) and the
// history stores' refusals as tRPC codes.

let database: TestDatabase;
let caller: TestCaller;
const runId = randomUUID();

beforeAll(async () => {
  database = await createTestDatabase();
  caller = callerFor(database.prisma);
  const flow = await database.prisma.flow.create({ data: { name: "Order to CRM", draft: {} } });
  await database.prisma.run.createMany({
    data: [0, 1, 2].map((i) => ({
      id: i === 0 ? runId : randomUUID(),
      flowId: flow.id, flowVersion: 1, eventId: `e${i}`, eventType: "order.placed", orderingKey: "ORDER-7", status: "succeeded",
      traceId: "t", sequence: BigInt(i + 1), startedAt: new Date(Date.UTC(2026, 4, 1, 0, 0, i)),
    })),
  });
});
afterAll(async () => {
  await database?.drop();
});

async function code(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TRPCError);
  return (error as TRPCError).code;
}

describe("runs router", () => {
  it("lists, pages and gets runs", async () => {
    const first = await caller.runs.list({ subject: "ORDER-7", limit: 2 });
    expect(first.runs).toHaveLength(2);
    expect(first.runs[0]!.startedAt).toBeInstanceOf(Date);
    expect(first.runs[0]!.flowName).toBe("Order to CRM");
    const second = await caller.runs.list({ subject: "ORDER-7", limit: 2, cursor: first.nextCursor! });
    expect(second.runs.map((r) => r.id)).toEqual([runId]);
    expect(second.nextCursor).toBeNull();
    expect((await caller.runs.get({ id: runId })).steps).toEqual([]);
  });

  it("shows a key's timeline", async () => {
    const timeline = await caller.runs.timeline({ subject: "ORDER-7" });
    expect(timeline.entries.map((e) => e.kind)).toEqual(["run", "run", "run"]);
  });

  it("maps refusals to tRPC codes", async () => {
    expect(await code(caller.runs.get({ id: "missing" }))).toBe("NOT_FOUND");
    expect(await code(caller.runs.list({ cursor: "bad" }))).toBe("BAD_REQUEST");
    expect(await code(caller.runs.list({ limit: 500 }))).toBe("BAD_REQUEST");
  });
});
