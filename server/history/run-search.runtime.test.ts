import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowDocument } from "@/server/flows/flow-document";
import { startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture } from "@/server/runtime/testing/runtime-fixture";
import { searchRuns } from "./run-search";
import { getRunDetail } from "./run-detail";
import { rerunRun } from "@/server/events/rerun-event";
import { getFlow, publishFlow, saveDraft } from "@/server/flows/flow-store";

// What the worker writes for run history, through real NATS and Postgres: business keys for the
// search box, the event with its headers, the broker facts and every failed attempt.

let fixture: RuntimeFixture;
let stockFlow: string;
let orderFlow: string;

const orderToTransform: FlowDocument = {
  schemaVersion: 1,
  name: "Orders summary",
  nodes: [
    { id: "trigger", kind: "trigger:order.placed", version: 1, config: {}, position: { x: 0, y: 0 } },
    { id: "sum", kind: "action:transform", version: 1, config: { fields: '{"lines": $count(event.data.lines)}' }, position: { x: 300, y: 0 } },
  ],
  edges: [{ id: "e1", source: "trigger", target: "sum", sourceHandle: "out" }],
  settings: { orderingPolicy: "hold" },
};

async function waitUntil(check: () => Promise<boolean>, what: string) {
  // Polls the database for the outcome; the interval only paces the queries. A hang fails by the
  // test timeout.
  while (!(await check())) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return what;
}

beforeAll(async () => {
  fixture = await startRuntimeFixture({ partitions: 4 });
  stockFlow = await fixture.deployFlow(stockToReceiverFlow(fixture.receiver.url, { attempts: 3 }));
  orderFlow = await fixture.deployFlow(orderToTransform);
  await fixture.startWorkerInProcess();
}, 60_000);
afterAll(async () => {
  await fixture?.close();
});

describe("run history written by the worker", () => {
  it("indexes the ordering key, sku, orderId and order-line SKUs, and records the event and broker facts", async () => {
    const orderId = `ORDER-${randomUUID().slice(0, 6)}`;
    await fixture.publish([
      { specversion: "1.0", id: randomUUID(), source: "test", type: "stock.changed", subject: "SKU-77", data: { sku: "SKU-77", quantity: 1 } },
      {
        specversion: "1.0", id: randomUUID(), source: "test", type: "order.placed", subject: orderId,
        data: { orderId, lines: [{ sku: "SKU-77", quantity: 1, price: 10 }, { sku: "SKU-88", quantity: 2, price: 5 }] },
      },
    ]);
    const prisma = fixture.database.prisma;
    await waitUntil(async () => (await prisma.run.count({ where: { status: "succeeded" } })) === 2, "both runs");

    const bySku = await searchRuns(prisma, { key: "SKU-77" });
    expect(bySku.runs.map((r) => r.flowId).sort()).toEqual([stockFlow, orderFlow].sort());
    expect((await searchRuns(prisma, { key: "SKU-88" })).runs.map((r) => r.flowId)).toEqual([orderFlow]);
    const byOrder = await searchRuns(prisma, { key: orderId });
    expect(byOrder.runs).toHaveLength(1);

    const detail = await getRunDetail(prisma, byOrder.runs[0]!.id);
    expect(detail.event).toMatchObject({ type: "order.placed", subject: orderId });
    expect(detail.headers["Nats-Msg-Id"]).toBe((detail.event as { id: string }).id);
    expect(detail.broker).toMatchObject({ stream: `${fixture.layout.prefix}_events`, deliveryCount: 1 });
    expect(detail.broker.partition).toBeGreaterThanOrEqual(0);
    expect(detail.broker.worker).toEqual(expect.any(String));
    expect(detail.steps.map((s) => s.nodeId)).toEqual(["trigger", "sum"]);
    expect(detail.steps[1]!.output).toEqual({ lines: 2 });
  }, 60_000);

  it("keeps every failed attempt with when the next one was due", async () => {
    const prisma = fixture.database.prisma;
    fixture.receiver.failureRate = 1;
    await fixture.publish([{ specversion: "1.0", id: randomUUID(), source: "test", type: "stock.changed", subject: "SKU-RETRY", data: { sku: "SKU-RETRY", quantity: 5 } }]);
    await waitUntil(async () => (await prisma.run.count({ where: { orderingKey: "SKU-RETRY", status: "retrying", attempts: { gte: 2 } } })) === 1, "a second failure");
    fixture.receiver.failureRate = 0;
    await waitUntil(async () => (await prisma.run.count({ where: { orderingKey: "SKU-RETRY", status: "succeeded" } })) === 1, "success");

    const [run] = (await searchRuns(prisma, { subject: "SKU-RETRY" })).runs;
    const detail = await getRunDetail(prisma, run!.id);
    expect(detail.attempts).toBeGreaterThanOrEqual(3);
    expect(detail.failedAttempts.length).toBe(detail.attempts - 1);
    for (const attempt of detail.failedAttempts) {
      expect(attempt.nodeId).toBe("deliver");
      expect(attempt.error).toMatch(/503|5\d\d/);
      expect(attempt.retryAt!.getTime()).toBeGreaterThanOrEqual(attempt.at.getTime());
    }
  }, 60_000);

  it("reruns a run through ingest with a new id, pinned to its version or the current published one", async () => {
    const prisma = fixture.database.prisma;
    await fixture.publish([{ specversion: "1.0", id: randomUUID(), source: "test", type: "stock.changed", subject: "SKU-RERUN", data: { sku: "SKU-RERUN", quantity: 9 } }]);
    await waitUntil(async () => (await prisma.run.count({ where: { orderingKey: "SKU-RERUN", status: "succeeded" } })) === 1, "first run");
    const [first] = (await searchRuns(prisma, { subject: "SKU-RERUN" })).runs;

    const flow = await getFlow(prisma, stockFlow);
    await saveDraft(prisma, { id: stockFlow, expectedRevision: flow.revision, document: { ...flow.document, name: "Stock v2" } });
    await publishFlow(prisma, stockFlow);

    const original = await rerunRun(prisma, first!.id, "original", { nats: async () => fixture.nc, layout: fixture.layout });
    await waitUntil(async () => (await prisma.run.count({ where: { eventId: original.eventId, status: "succeeded" } })) === 1, "rerun on v1");
    const published = await rerunRun(prisma, first!.id, "published", { nats: async () => fixture.nc, layout: fixture.layout });
    await waitUntil(async () => (await prisma.run.count({ where: { eventId: published.eventId, status: "succeeded" } })) === 1, "rerun on v2");

    const runs = (await searchRuns(prisma, { subject: "SKU-RERUN" })).runs;
    expect(runs.map((r) => [r.eventId, r.flowVersion])).toEqual([[published.eventId, 2], [original.eventId, 1], [first!.eventId, 1]]);
    // Only the pinned flow ran, and the receiver saw three calls with three idempotency keys.
    expect(runs.every((r) => r.flowId === stockFlow)).toBe(true);
    const calls = fixture.receiver.effects.filter((e) => e.body.sku === "SKU-RERUN");
    expect(new Set(calls.map((c) => c.idempotencyKey)).size).toBe(3);
  }, 60_000);
});
