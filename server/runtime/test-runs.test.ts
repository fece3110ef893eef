import { afterEach, describe, expect, it } from "vitest";
import { InvalidInputError } from "@/server/domain-errors";
import { createEventSchemaRegistry } from "@/server/events/event-schema-registry";
import { createFlow, setFlowEnabled } from "@/server/flows/flow-store";
import { waitUntil } from "@/server/testing/wait-until";
import { flowRunStats } from "@/server/history/flow-run-stats";
import { keyTimeline, listRuns } from "@/server/history/run-history";
import { searchRuns } from "@/server/history/run-search";
import { uncachedRunSeries } from "@/server/monitoring/run-series";
import { startTestRun, startTestRunsForType, type TestMode } from "./test-runs";
import { startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture } from "./testing/runtime-fixture";

// Test runs (the editor's test-event button) through the real runtime: a real nats-server, a real
// Postgres database, a worker and a local receiver playing the outside system.

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

/** The receiver flow, with a secret header so the dry run has something to mask. */
function draft(receiverUrl: string) {
  const document = stockToReceiverFlow(receiverUrl, { name: "Draft under test", attempts: 1 });
  const deliver = document.nodes.find((n) => n.id === "deliver")!;
  deliver.config = { ...(deliver.config as object), headers: { Authorization: "Bearer sk_live_secret", "X-Shop": "eu" } };
  return document;
}

async function testRun(f: RuntimeFixture, flowId: string, document: unknown, mode: TestMode, data = { sku: "SKU-T1", quantity: 7 }) {
  const { runId } = await startTestRun(f.database.prisma, { flowId, document, mode, event: { subject: data.sku, data } }, { nats: async () => f.nc, layout: f.layout });
  const prisma = f.database.prisma;
  await waitUntil(async () => ["succeeded", "failed", "skipped"].includes((await prisma.run.findUniqueOrThrow({ where: { id: runId } })).status), 20_000, "the test run to finish");
  return prisma.run.findUniqueOrThrow({ where: { id: runId } });
}

type Step = { nodeId: string; status: string; idempotencyKey?: string; output?: { dryRun?: boolean; request?: Record<string, unknown>; status?: number } };

describe("test runs", () => {
  it("dry run: runs an unpublished draft, calls nothing outside and records the request it would have sent", async () => {
    fixture = await startRuntimeFixture({ partitions: 2 });
    const { receiver } = fixture;
    const document = draft(receiver.url);
    const { id: flowId } = await createFlow(fixture.database.prisma, { ...document, nodes: [] }); // the saved draft is empty: the editor's unsaved one runs
    await fixture.startWorkerInProcess();

    const run = await testRun(fixture, flowId, document, "dry");
    expect(run).toMatchObject({ status: "succeeded", test: true, testMode: "dry", orderingKey: "SKU-T1", eventType: "stock.changed" });
    expect(receiver.requests).toBe(0);
    const steps = run.steps as Step[];
    expect(steps.map((s) => [s.nodeId, s.status])).toEqual([["trigger", "succeeded"], ["deliver", "succeeded"]]);
    const deliver = steps[1]!;
    expect(deliver.output?.dryRun).toBe(true);
    expect(deliver.output?.request).toMatchObject({
      method: "POST",
      url: `${receiver.url}/stock`,
      body: { sku: "SKU-T1", seq: 7 },
      idempotencyKey: deliver.idempotencyKey,
    });
    const headers = deliver.output!.request!.headers as Record<string, string>;
    expect(headers.authorization).not.toContain("sk_live_secret");
    expect(headers["x-shop"]).toBe("eu");
    expect(headers["idempotency-key"]).toBe(deliver.idempotencyKey);
    expect(JSON.stringify(run.steps)).not.toContain("sk_live_secret");
    // Nothing of production's: no processed-event record, no held event, no dead letter.
    expect(await fixture.database.prisma.processedEvent.count()).toBe(0);
  }, 60_000);

  it("live run: calls the outside system for real", async () => {
    fixture = await startRuntimeFixture({ partitions: 2 });
    const { receiver } = fixture;
    const document = draft(receiver.url);
    const { id: flowId } = await createFlow(fixture.database.prisma, document);
    await fixture.startWorkerInProcess();

    const run = await testRun(fixture, flowId, document, "live");
    expect(run).toMatchObject({ status: "succeeded", test: true, testMode: "live" });
    expect(receiver.effects.map((e) => e.body)).toEqual([{ sku: "SKU-T1", seq: 7 }]);
    const deliver = (run.steps as Step[])[1]!;
    expect(deliver.output?.status).toBe(200);
    expect(receiver.effects[0]!.idempotencyKey).toBe(deliver.idempotencyKey);

    // Production views leave it out by default; the runs page finds it under "Test runs".
    const prisma = fixture.database.prisma;
    expect((await searchRuns(prisma, {})).runs).toEqual([]);
    expect((await searchRuns(prisma, { kind: "test" })).runs.map((r) => r.id)).toEqual([run.id]);
    expect((await listRuns(prisma, {})).runs).toEqual([]);
    expect((await keyTimeline(prisma, "SKU-T1")).entries).toEqual([]);
    expect(await flowRunStats(prisma, [flowId])).toEqual([expect.objectContaining({ lastRun: null, runs24h: 0 })]);
    expect((await uncachedRunSeries(prisma, "15m")).totals.runs).toBe(0);
  }, 60_000);

  it("a test event on a key held behind a dead letter still runs, and the key stays held", async () => {
    fixture = await startRuntimeFixture({ partitions: 2 });
    const { receiver } = fixture;
    const prisma = fixture.database.prisma;
    receiver.poison = (body) => body.sku === "SKU-HELD" && body.seq === 1;
    const flowId = await fixture.deployFlow(stockToReceiverFlow(receiver.url, { attempts: 1, orderingPolicy: "hold" }));
    await fixture.startWorkerInProcess();
    await fixture.publish([1, 2].map((seq) => ({ specversion: "1.0", id: `held-${seq}`, source: "erp", type: "stock.changed", subject: "SKU-HELD", data: { sku: "SKU-HELD", quantity: seq } })));
    await waitUntil(async () => (await prisma.heldEvent.count({ where: { orderingKey: "SKU-HELD" } })) === 1, 20_000, "seq 2 held behind the dead letter");
    expect(await prisma.deadLetter.count({ where: { orderingKey: "SKU-HELD", status: "open" } })).toBe(1);

    // The same flow, the same key: the test runs at once, in live mode, and reaches the receiver.
    const run = await testRun(fixture, flowId, stockToReceiverFlow(receiver.url, { attempts: 1 }), "live", { sku: "SKU-HELD", quantity: 9 });
    expect(run.status).toBe("succeeded");
    expect(receiver.effectsByKey().get("SKU-HELD")).toEqual([9]);
    // Production is untouched: seq 2 still waits, no new dead letter, the test left no held event.
    expect(await prisma.heldEvent.count({ where: { orderingKey: "SKU-HELD" } })).toBe(1);
    expect(await prisma.deadLetter.count({ where: { orderingKey: "SKU-HELD" } })).toBe(1);
  }, 60_000);

  it("the Event types button: one dry test run per enabled flow listening to the custom type", async () => {
    fixture = await startRuntimeFixture({ partitions: 2 });
    const { receiver } = fixture;
    const prisma = fixture.database.prisma;
    const type = "com.acme.return.requested";
    await prisma.eventType.create({
      data: { type, jsonSchema: { type: "object", required: ["sku"], properties: { sku: { type: "string" }, quantity: { type: "integer" } } }, example: { sku: "SKU-1" } },
    });
    const listening = (name: string) => {
      const document = stockToReceiverFlow(receiver.url, { name, attempts: 1 });
      document.nodes[0] = { ...document.nodes[0]!, kind: "trigger:custom-event", config: { eventType: type } };
      return document;
    };
    const a = await fixture.deployFlow(listening("Returns A"));
    const b = await fixture.deployFlow(listening("Returns B"));
    const off = await fixture.deployFlow(listening("Returns off"));
    await setFlowEnabled(prisma, off, false);
    await fixture.deployFlow(stockToReceiverFlow(receiver.url, { name: "Stock" }));
    await fixture.startWorkerInProcess();

    const options = { nats: async () => fixture!.nc, layout: fixture.layout, registry: createEventSchemaRegistry({ db: () => prisma }) };
    const { runs } = await startTestRunsForType(prisma, { type, mode: "dry", event: { subject: "SKU-R1", data: { sku: "SKU-R1", quantity: 2 } } }, options);
    expect(runs.map((r) => r.flowId).sort()).toEqual([a, b].sort());
    await waitUntil(async () => (await prisma.run.count({ where: { test: true, status: "succeeded" } })) === 2, 20_000, "both test runs");
    expect(receiver.requests).toBe(0);
    await expect(startTestRunsForType(prisma, { type, mode: "dry", event: { subject: "SKU-R1", data: { quantity: 2 } } }, options)).rejects.toThrow(/does not match/);
  }, 60_000);

  it("refuses an event that does not match the trigger's type, field by field, and sends nothing", async () => {
    fixture = await startRuntimeFixture({ partitions: 2 });
    const document = draft(fixture.receiver.url);
    const { id: flowId } = await createFlow(fixture.database.prisma, document);
    const sent = startTestRun(fixture.database.prisma, { flowId, document, mode: "dry", event: { subject: "SKU-1", data: { sku: "SKU-1", quantity: "many" } } }, { nats: async () => fixture!.nc, layout: fixture.layout });
    await expect(sent).rejects.toBeInstanceOf(InvalidInputError);
    const error = (await sent.catch((e: InvalidInputError) => e)) as InvalidInputError;
    expect(error.issues).toEqual([expect.objectContaining({ path: "data.quantity" })]);
    expect(await fixture.database.prisma.run.count()).toBe(0);
  }, 60_000);
});
