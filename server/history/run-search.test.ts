import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { failure as expectFailure } from "@/server/testing/expect-failure";
import { InvalidInputError } from "@/server/domain-errors";
import { searchRuns, type RunSearch } from "./run-search";

// Every filter of the runs page against a real Postgres. The business keys are what the worker
// writes (run-search.runtime.test.ts proves that part through NATS); here they are seeded so each
// filter can be checked against rows that differ in exactly the filtered field.

let database: TestDatabase;
let flowA: string;
let flowB: string;
const base = Date.UTC(2026, 4, 1, 12, 0, 0);
const ids: Record<string, string> = {};

beforeAll(async () => {
  database = await createTestDatabase();
  const prisma = database.prisma;
  flowA = (await prisma.flow.create({ data: { name: "Stock to shop", draft: {} } })).id;
  flowB = (await prisma.flow.create({ data: { name: "Orders to ERP", draft: {} } })).id;
  const rows = [
    { name: "stock1", flowId: flowA, eventType: "stock.changed", orderingKey: "SKU-1", status: "succeeded", keys: ["SKU-1"], minute: 0 },
    { name: "stock2", flowId: flowA, eventType: "stock.changed", orderingKey: "SKU-2", status: "dead-lettered", keys: ["SKU-2"], minute: 1 },
    { name: "order", flowId: flowB, eventType: "order.placed", orderingKey: "ORDER-9", status: "succeeded", keys: ["ORDER-9", "SKU-1", "SKU-3"], minute: 2 },
    { name: "retrying", flowId: flowB, eventType: "order.placed", orderingKey: "ORDER-10", status: "retrying", keys: ["ORDER-10", "SKU-2"], minute: 3 },
    { name: "test", flowId: flowA, eventType: "stock.changed", orderingKey: "SKU-1", status: "succeeded", keys: ["SKU-1"], minute: 4, test: true },
  ];
  await prisma.run.createMany({
    data: rows.map((r, i) => {
      ids[r.name] = randomUUID();
      return {
        id: ids[r.name]!, flowId: r.flowId, flowVersion: 1, eventId: `e-${r.name}`, eventType: r.eventType, orderingKey: r.orderingKey,
        status: r.status, traceId: "t", sequence: BigInt(i + 1), startedAt: new Date(base + r.minute * 60_000),
        finishedAt: new Date(base + r.minute * 60_000 + 250), businessKeys: r.keys, test: r.test ?? false,
      };
    }),
  });
});
afterAll(async () => {
  await database?.drop();
});

async function names(filter: RunSearch) {
  const { runs } = await searchRuns(database.prisma, filter);
  const byId = new Map(Object.entries(ids).map(([name, id]) => [id, name]));
  return runs.map((r) => byId.get(r.id));
}

describe("searchRuns", () => {
  it("lists production runs newest first by default, with flow names and durations", async () => {
    expect(await names({})).toEqual(["retrying", "order", "stock2", "stock1"]);
    const { runs } = await searchRuns(database.prisma, {});
    expect(runs[1]).toMatchObject({ flowName: "Orders to ERP", durationMs: 250, test: false });
  });

  it("shows test runs only when asked", async () => {
    expect(await names({ kind: "test" })).toEqual(["test"]);
    expect(await names({ kind: "all" })).toEqual(["test", "retrying", "order", "stock2", "stock1"]);
  });

  it("filters by flow, status, ordering key and event type", async () => {
    expect(await names({ flowId: flowB })).toEqual(["retrying", "order"]);
    expect(await names({ status: "dead-lettered" })).toEqual(["stock2"]);
    expect(await names({ subject: "SKU-1", kind: "all" })).toEqual(["test", "stock1"]);
    expect(await names({ eventType: "order.placed", status: "succeeded" })).toEqual(["order"]);
  });

  it("filters by time range (inclusive)", async () => {
    const at = (minute: number) => new Date(base + minute * 60_000);
    expect(await names({ from: at(1), to: at(2) })).toEqual(["order", "stock2"]);
    expect(await names({ from: at(3) })).toEqual(["retrying"]);
    expect(await names({ to: at(0) })).toEqual(["stock1"]);
  });

  it("finds runs by business key: an ordering key, an order id or a SKU on an order line", async () => {
    expect(await names({ key: "SKU-1" })).toEqual(["order", "stock1"]);
    expect(await names({ key: "ORDER-10" })).toEqual(["retrying"]);
    expect(await names({ key: "SKU-3" })).toEqual(["order"]);
    expect(await names({ key: "  SKU-2 " })).toEqual(["retrying", "stock2"]);
    expect(await names({ key: "SKU-404" })).toEqual([]);
  });

  it("pages with a keyset cursor without gaps or repeats", async () => {
    const first = await searchRuns(database.prisma, { kind: "all", limit: 2 });
    const second = await searchRuns(database.prisma, { kind: "all", limit: 2, cursor: first.nextCursor! });
    const third = await searchRuns(database.prisma, { kind: "all", limit: 2, cursor: second.nextCursor! });
    expect([...first.runs, ...second.runs, ...third.runs].map((r) => r.id)).toEqual(
      (await searchRuns(database.prisma, { kind: "all" })).runs.map((r) => r.id),
    );
    expect(third.nextCursor).toBeNull();
  });

  it("refuses bad filters with messages that name the field", async () => {
    const error = await expectFailure(searchRuns(database.prisma, { from: new Date(base + 60_000), to: new Date(base) }));
    // A domain error without a status code: the API layers map InvalidInputError to 400 / BAD_REQUEST.
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ issues: [{ path: "to", message: "the end of the time range is before its start" }] });
    const badStatus = await expectFailure(searchRuns(database.prisma, { status: "exploded" as never }));
    expect(badStatus).toBeInstanceOf(InvalidInputError);
    expect(badStatus).toMatchObject({ issues: [{ path: "status" }] });
    expect(await expectFailure(searchRuns(database.prisma, { from: "yesterday" as never }))).toMatchObject({
      issues: [{ path: "from", message: "use a date and time such as 2026-05-01T12:00" }],
    });
  });
});
