import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { ConflictError, InvalidInputError, NotFoundError } from "@/server/domain-errors";
import { natsWorkerNotifier } from "@/server/runtime/worker-notifier";
import {
  discardDeadLetter,
  getDeadLetter,
  listDeadLetters,
  requestRedrive,
  requestRedriveMany,
  type DeadLetterChange,
  type DeadLetterStoreOptions,
} from "./dead-letter-store";

// Dead-letter inspection and the redrive/discard state machine against a real Postgres; the
// worker notification against the local NATS server.

let database: TestDatabase;
let flowId: string;
const notified: DeadLetterChange[][] = [];
const options: DeadLetterStoreOptions = { notify: async (changes) => void notified.push(changes as DeadLetterChange[]) };

beforeAll(async () => {
  database = await createTestDatabase();
  flowId = (await database.prisma.flow.create({ data: { name: "Price sync", draft: {} } })).id;
});
afterAll(async () => {
  await database?.drop();
});

let sequence = 100n;
function stockEvent(subject: string, id = `evt-${randomUUID()}`) {
  return { specversion: "1.0", id, source: "pim", type: "stock.changed", subject, data: { sku: subject, quantity: 3 } };
}
async function letter(over: { subject?: string; status?: string; partition?: number; flow?: string; createdAt?: Date } = {}) {
  const subject = over.subject ?? `SKU-${randomUUID().slice(0, 8)}`;
  const event = stockEvent(subject);
  sequence += 1n;
  return database.prisma.deadLetter.create({
    data: {
      flowId: over.flow ?? flowId, flowVersion: 2, nodeId: "sync", orderingKey: subject, eventId: event.id, eventType: event.type, event,
      headers: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
      attempts: [{ at: "2026-03-01T10:00:00Z", error: "HTTP 422", transient: false }], error: "HTTP 422", traceId: "0af7651916cd43dd8448eb211c80319c",
      sequence, partition: over.partition ?? 5, status: over.status ?? "open", ...(over.createdAt ? { createdAt: over.createdAt } : {}),
    },
  });
}

type Refusal = NotFoundError | ConflictError | InvalidInputError;

async function failure(promise: Promise<unknown>): Promise<Refusal> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect([NotFoundError, ConflictError, InvalidInputError].some((kind) => error instanceof kind)).toBe(true);
  return error as Refusal;
}

describe("listDeadLetters and getDeadLetter", () => {
  it("lists open letters by default, newest first, paging without gaps or duplicates", async () => {
    const listFlow = randomUUID();
    const at = Date.parse("2026-03-02T00:00:00Z");
    const created = [];
    // Pairs share a timestamp so the id tie-break matters.
    for (let i = 0; i < 11; i++) created.push(await letter({ flow: listFlow, createdAt: new Date(at + Math.floor(i / 2) * 1000) }));
    await letter({ flow: listFlow, status: "discarded" });

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listDeadLetters(database.prisma, { flowId: listFlow, limit: 4, cursor });
      seen.push(...page.deadLetters.map((d) => d.id));
      expect(page.deadLetters.every((d) => d.status === "open" && typeof d.sequence === "string")).toBe(true);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const expected = [...created].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1)).map((d) => d.id);
    expect(seen).toEqual(expected);

    expect((await listDeadLetters(database.prisma, { flowId: listFlow, status: "discarded" })).deadLetters).toHaveLength(1);
    expect((await listDeadLetters(database.prisma, { flowId: listFlow, status: "all", limit: 200 })).deadLetters).toHaveLength(12);
  });

  it("filters by subject and names the flow", async () => {
    const one = await letter({ subject: "SKU-filter-1" });
    await letter({ subject: "SKU-filter-2" });
    const { deadLetters } = await listDeadLetters(database.prisma, { subject: "SKU-filter-1" });
    expect(deadLetters.map((d) => d.id)).toEqual([one.id]);
    expect(deadLetters[0]).toMatchObject({ flowName: "Price sync", attemptCount: 1, orderingKey: "SKU-filter-1", partition: 5 });
  });

  it("returns the event, headers and attempts of one letter, 404 for an unknown id, 400 for a bad cursor", async () => {
    const row = await letter();
    const detail = await getDeadLetter(database.prisma, row.id);
    expect(detail.event).toEqual(row.event);
    expect(detail.attempts).toHaveLength(1);
    expect(detail.steps).toEqual([]);
    expect((await failure(getDeadLetter(database.prisma, "nope")))).toBeInstanceOf(NotFoundError);
    expect((await failure(listDeadLetters(database.prisma, { cursor: "bad" })))).toBeInstanceOf(InvalidInputError);
  });
});

describe("requestRedrive", () => {
  it("moves an open letter to redrive-requested once, tells its partition's worker, and refuses a second time with 409", async () => {
    const row = await letter({ partition: 7 });
    notified.length = 0;
    const result = await requestRedrive(database.prisma, row.id, {}, options);
    expect(result.status).toBe("redrive-requested");
    expect(notified).toEqual([[{ topic: "dead-letters", partition: 7, deadLetterIds: [row.id] }]]);

    const again = await failure(requestRedrive(database.prisma, row.id, {}, options));
    expect(again).toBeInstanceOf(ConflictError);
    expect(again.message).toMatch(/already requested/);
    expect(notified).toHaveLength(1);
    expect((await failure(requestRedrive(database.prisma, "missing", {}, options)))).toBeInstanceOf(NotFoundError);
  });

  it("stores an edited payload that keeps id, type and subject", async () => {
    const row = await letter();
    const edited = { ...(row.event as object), data: { sku: row.orderingKey, quantity: 0, warehouse: "B" } };
    await requestRedrive(database.prisma, row.id, { event: edited }, options);
    expect((await getDeadLetter(database.prisma, row.id)).event).toEqual(edited);
  });

  it("refuses an edit that changes what identifies the event, or is not valid, and leaves the letter open", async () => {
    const row = await letter();
    const original = row.event as Record<string, unknown>;
    const cases: [unknown, string][] = [
      [{ ...original, id: "another-id" }, "event.id"],
      [{ ...original, subject: "other-SKU" }, "event.subject"],
      [{ ...original, type: "price.changed" }, "event.type"],
      [{ ...original, specversion: "0.3" }, "event.specversion"],
      [{ ...original, data: { sku: row.orderingKey, quantity: "many" } }, "event.data.quantity"],
      ["not an object", "event"],
    ];
    for (const [event, path] of cases) {
      const error = await failure(requestRedrive(database.prisma, row.id, { event }, options));
      expect(error, path).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).issues.map((i) => i.path), path).toContain(path);
    }
    expect((await getDeadLetter(database.prisma, row.id)).status).toBe("open");
    expect((await getDeadLetter(database.prisma, row.id)).event).toEqual(original);
  });

  it("lets exactly one of several concurrent redrives win", async () => {
    const row = await letter();
    const results = await Promise.allSettled([1, 2, 3].map(() => requestRedrive(database.prisma, row.id, {}, options)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected").map((r) => ((r as PromiseRejectedResult).reason as Error).name)).toEqual(["ConflictError", "ConflictError"]);
  });

  it("records who asked for the redrive, for the resolved list", async () => {
    const one = await letter({ partition: 3 });
    const many = await letter({ partition: 3 });
    await requestRedrive(database.prisma, one.id, {}, { ...options, by: "Ada (ada@example.com)" });
    await requestRedriveMany(database.prisma, { ids: [many.id] }, { ...options, by: "Key ci-bot" });
    const rows = await database.prisma.deadLetter.findMany({ where: { id: { in: [one.id, many.id] } }, select: { id: true, resolvedBy: true } });
    expect(Object.fromEntries(rows.map((r) => [r.id, r.resolvedBy]))).toEqual({ [one.id]: "Ada (ada@example.com)", [many.id]: "Key ci-bot" });
  });
});

describe("requestRedriveMany", () => {
  it("redrives the given ids that are open and reports the others", async () => {
    const a = await letter({ partition: 1 });
    const b = await letter({ partition: 2 });
    const c = await letter({ partition: 1 });
    const closed = await letter({ status: "discarded" });
    notified.length = 0;
    const result = await requestRedriveMany(database.prisma, { ids: [a.id, b.id, c.id, closed.id, "missing"] }, options);
    expect(result.requested.sort()).toEqual([a.id, b.id, c.id].sort());
    expect(result.notOpen).toEqual([closed.id]);
    expect(result.notFound).toEqual(["missing"]);
    const changes = notified[0]!.sort((x, y) => x.partition - y.partition);
    expect(changes.map((x) => x.partition)).toEqual([1, 2]);
    expect(changes[0]!.deadLetterIds.sort()).toEqual([a.id, c.id].sort());
  });

  it("redrives every open letter of a flow and key, and nothing else", async () => {
    const bulkFlow = randomUUID();
    const mine = [await letter({ flow: bulkFlow, subject: "SKU-bulk" }), await letter({ flow: bulkFlow, subject: "SKU-bulk" })];
    const otherKey = await letter({ flow: bulkFlow, subject: "SKU-bulk-other" });
    const done = await letter({ flow: bulkFlow, subject: "SKU-bulk", status: "redriven" });
    const result = await requestRedriveMany(database.prisma, { flowId: bulkFlow, subject: "SKU-bulk" }, options);
    expect(result.requested.sort()).toEqual(mine.map((m) => m.id).sort());
    expect((await getDeadLetter(database.prisma, otherKey.id)).status).toBe("open");
    expect((await getDeadLetter(database.prisma, done.id)).status).toBe("redriven");
    expect((await failure(requestRedriveMany(database.prisma, {}, options)))).toBeInstanceOf(InvalidInputError);
  });
});

describe("discardDeadLetter", () => {
  it("discards open and redrive-requested letters, and refuses redriven or discarded ones with 409", async () => {
    const open = await letter();
    const requested = await letter({ status: "redrive-requested" });
    const redriven = await letter({ status: "redriven" });
    expect((await discardDeadLetter(database.prisma, open.id, options)).status).toBe("discarded");
    expect((await discardDeadLetter(database.prisma, requested.id, options)).status).toBe("discarded");
    expect((await failure(discardDeadLetter(database.prisma, open.id, options)))).toBeInstanceOf(ConflictError);
    expect((await failure(discardDeadLetter(database.prisma, redriven.id, options))).message).toMatch(/already redriven/);
    expect((await failure(discardDeadLetter(database.prisma, "missing", options)))).toBeInstanceOf(NotFoundError);
    expect((await failure(requestRedrive(database.prisma, open.id, {}, options)))).toBeInstanceOf(ConflictError);
  });
});

describe("notifying workers", () => {
  it("never fails or stalls the change when NATS is down", async () => {
    const row = await letter();
    const down = natsWorkerNotifier({ connection: () => Promise.reject(new Error("connection refused")), prefix: "x" });
    const hanging = natsWorkerNotifier({ connection: () => new Promise(() => {}), prefix: "x", timeoutMs: 200 });
    expect((await requestRedrive(database.prisma, row.id, {}, { notify: down })).status).toBe("redrive-requested");
    // A notifier that never connects must not hold the request: it resolves (a hang would fail the
    // test by its own timeout, without a wall-clock assertion).
    expect((await discardDeadLetter(database.prisma, row.id, { notify: hanging })).status).toBe("discarded");
  });
});
