import { afterEach, describe, expect, it } from "vitest";
import { natsWorkerNotifier } from "@/server/runtime/worker-notifier";
import { interleavedStockEvents, startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture } from "@/server/runtime/testing/runtime-fixture";
import { bulkRedriveProgress, discardMany, previewBulkRedrive, startBulkRedrive } from "./dead-letter-bulk-redrive";
import { listInbox } from "./dead-letter-inbox";
import { waitUntil } from "@/server/testing/wait-until";

// Bulk redrive and discard end to end: a real worker, real NATS and Postgres, and a local receiver
// that records what arrives in which order.

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

function notifier(f: RuntimeFixture) {
  return natsWorkerNotifier({ connection: async () => f.nc, prefix: f.layout.prefix });
}

describe("bulk redrive", () => {
  it("redrives 3 keys × 5 dead letters with a transform, each key in its original order, making the calls the preview counted", async () => {
    fixture = await startRuntimeFixture({ partitions: 4 });
    const { receiver } = fixture;
    const prisma = fixture.database.prisma;
    // Quantities below 100 are refused: every event dead-letters until the transform lifts it.
    receiver.poison = (body) => body.seq < 100;
    const flowId = await fixture.deployFlow(stockToReceiverFlow(receiver.url, { orderingPolicy: "skip", attempts: 1 }));
    await fixture.startWorkerInProcess();
    const skus = ["SKU-A", "SKU-B", "SKU-C"];
    await fixture.publish(interleavedStockEvents(skus, 5));
    await waitUntil(async () => (await prisma.deadLetter.count({ where: { status: "open" } })) === 15, 30_000, "15 dead letters");

    const inbox = await listInbox(prisma, { flowId });
    expect(inbox.groups.map((g) => [g.orderingKey, g.letters.length]).sort()).toEqual([["SKU-A", 5], ["SKU-B", 5], ["SKU-C", 5]]);
    expect(inbox.total).toBe(15);

    const transform = { kind: "jsonata" as const, expression: '$merge([event.data, {"quantity": event.data.quantity + 100}])' };
    const input = { selection: { filter: { flowId } }, transform };
    const preview = await previewBulkRedrive(prisma, input);
    expect(preview.willRedrive).toBe(15);
    expect(preview.willSkip).toBe(0);
    expect(preview.calls).toEqual([{ system: `HTTP 127.0.0.1:${receiver.port}`, count: 15 }]);
    const first = preview.letters.find((l) => l.orderingKey === "SKU-A" && (l.before as { quantity: number }).quantity === 1)!;
    expect(first.diff).toEqual([{ op: "replace", path: "/quantity", value: 101 }]);
    // The preview changed nothing.
    expect(await prisma.deadLetter.count({ where: { status: "open" } })).toBe(15);
    const requestsBefore = receiver.requests;

    const started = await startBulkRedrive(prisma, input, { notify: notifier(fixture) });
    expect(started.requested).toHaveLength(15);
    expect(started.skipped).toEqual([]);
    await waitUntil(async () => (await bulkRedriveProgress(prisma, started.requested)).done, 60_000, "the bulk redrive");

    expect(await bulkRedriveProgress(prisma, started.requested)).toMatchObject({ total: 15, redriven: 15, failedAgain: 0, waiting: 0 });
    const byKey = receiver.effectsByKey();
    for (const sku of skus) expect(byKey.get(sku)).toEqual([101, 102, 103, 104, 105]);
    // Exactly the calls the preview announced.
    expect(receiver.requests - requestsBefore).toBe(preview.calls.reduce((sum, c) => sum + c.count, 0));
  }, 120_000);

  it("previews a transform that breaks the schema as skipped, and skips it when run", async () => {
    fixture = await startRuntimeFixture({ partitions: 2 });
    const { receiver } = fixture;
    const prisma = fixture.database.prisma;
    receiver.poison = () => true;
    const flowId = await fixture.deployFlow(stockToReceiverFlow(receiver.url, { orderingPolicy: "skip", attempts: 1 }));
    await fixture.startWorkerInProcess();
    await fixture.publish(interleavedStockEvents(["SKU-X"], 2));
    await waitUntil(async () => (await prisma.deadLetter.count({ where: { status: "open" } })) === 2, 30_000, "2 dead letters");

    const input = { selection: { filter: { flowId } }, transform: { kind: "json-patch" as const, patch: [{ op: "replace" as const, path: "/quantity", value: "lots" }] } };
    const preview = await previewBulkRedrive(prisma, input);
    expect(preview.willSkip).toBe(2);
    expect(preview.letters[0]!.problem).toMatch(/data\.quantity/);
    expect(preview.calls).toEqual([]);
    const started = await startBulkRedrive(prisma, input, { notify: notifier(fixture) });
    expect(started.requested).toEqual([]);
    expect(started.skipped).toHaveLength(2);
    expect(await prisma.deadLetter.count({ where: { status: "open" } })).toBe(2);
  }, 60_000);
});

describe("discard", () => {
  it("discarding with release runs the events held behind the letter, in order, and the inbox counted them", async () => {
    fixture = await startRuntimeFixture({ partitions: 2 });
    const { receiver } = fixture;
    const prisma = fixture.database.prisma;
    receiver.poison = (body) => body.seq === 1;
    const flowId = await fixture.deployFlow(stockToReceiverFlow(receiver.url, { orderingPolicy: "hold", attempts: 1 }));
    await fixture.startWorkerInProcess();
    await fixture.publish(interleavedStockEvents(["SKU-HELD"], 4));
    await waitUntil(async () => (await prisma.heldEvent.count({ where: { flowId } })) === 3, 30_000, "3 events held");

    const inbox = await listInbox(prisma, { subject: "SKU-HELD" });
    expect(inbox.groups).toHaveLength(1);
    expect(inbox.groups[0]!.held?.count).toBe(3);
    expect(receiver.effects).toHaveLength(0);

    const result = await discardMany(prisma, [inbox.groups[0]!.letters[0]!.id], { notify: notifier(fixture) });
    expect(result.discarded).toHaveLength(1);
    await receiver.waitFor(() => receiver.effects.length === 3, 30_000, "the released events");
    expect(receiver.effectsByKey().get("SKU-HELD")).toEqual([2, 3, 4]);
    expect((await listInbox(prisma, { subject: "SKU-HELD" })).groups).toEqual([]);
  }, 60_000);
});
