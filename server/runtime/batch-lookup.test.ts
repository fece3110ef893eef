import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { createFlow, publishFlow, setFlowEnabled } from "@/server/flows/flow-store";
import { lookUpBatch } from "./batch-lookup";
import { FINGERPRINT_SQL, FlowCatalog } from "./flow-catalog";
import { stockToReceiverFlow } from "./testing/runtime-fixture";

// The read before each batch (decision 0039): the pairs that already ran, and the flow catalog's
// fingerprint. Real Postgres.

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe("batch lookup", () => {
  it("answers each partition's processed pairs, one read for the lookups asked in the same turn", async () => {
    await database.prisma.processedEvent.createMany({
      data: [{ eventId: "evt-a", flowId: "flow-1" }, { eventId: "evt-b", flowId: "flow-2" }],
    });
    const first = lookUpBatch(database.pool, ["evt-a", "evt-new"]);
    const second = lookUpBatch(database.pool, ["evt-b"]);
    const [a, b] = await Promise.all([first, second]);
    expect(a).toBe(b);
    expect(a.processed.has("evt-a\u0000flow-1")).toBe(true);
    expect(b.processed.has("evt-b\u0000flow-2")).toBe(true);
    expect(a.processed.has("evt-new\u0000flow-1")).toBe(false);

    // A later turn reads again and sees what was committed meanwhile.
    await database.prisma.processedEvent.create({ data: { eventId: "evt-new", flowId: "flow-1" } });
    const later = await lookUpBatch(database.pool, ["evt-new"]);
    expect(later).not.toBe(a);
    expect(later.processed.has("evt-new\u0000flow-1")).toBe(true);
  });

  it("reads the catalog's fingerprint: unchanged until a flow is enabled, then the catalog reloads on it", async () => {
    const prisma = database.prisma;
    const catalog = new FlowCatalog(prisma);
    await catalog.refresh();
    const before = await lookUpBatch(database.pool, ["evt-x"]);
    // The same text whichever client reads it, or every batch would reload the catalog.
    const [viaPrisma] = await prisma.$queryRawUnsafe<{ fingerprint: string }[]>(FINGERPRINT_SQL);
    expect(before.catalogFingerprint).toBe(viaPrisma!.fingerprint);
    await catalog.coverWith(before.catalogFingerprint);
    expect(catalog.flowsFor("stock.changed")).toEqual([]);

    const { id } = await createFlow(prisma, stockToReceiverFlow("http://127.0.0.1:9/effects"));
    await publishFlow(prisma, id);
    await setFlowEnabled(prisma, id, true);
    const after = await lookUpBatch(database.pool, ["evt-x"]);
    expect(after.catalogFingerprint).not.toBe(before.catalogFingerprint);
    await catalog.coverWith(after.catalogFingerprint);
    expect(catalog.flowsFor("stock.changed").map((f) => f.flowId)).toEqual([id]);
  });
});
