import { afterEach, describe, expect, it } from "vitest";
import { setFlowEnabled } from "@/server/flows/flow-store";
import { waitUntil } from "@/server/testing/wait-until";
import { interleavedStockEvents, startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture } from "./testing/runtime-fixture";

// A flow change that committed before an event was published applies to that event, whether or
// not the worker heard about the change. The worker here never re-checks flows on its own (its
// maintenance tick is ten minutes away) and nobody notifies it: only the check before each batch
// can make the event run.

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

describe("flow catalog", () => {
  it("runs a flow for an event published right after the flow was enabled, and stops right after it was disabled", async () => {
    fixture = await startRuntimeFixture({ partitions: 2 });
    const { receiver } = fixture;
    const prisma = fixture.database.prisma;
    const worker = await fixture.startWorkerInProcess({ tickMs: 600_000, leaseTtlMs: 600_000 });
    expect(worker.partitions).toEqual([0, 1]);

    const flowId = await fixture.deployFlow(stockToReceiverFlow(receiver.url));
    await fixture.publish(interleavedStockEvents(["SKU-NEW"], 1));
    await receiver.waitFor(() => receiver.effects.length === 1, 15_000, "the event to run in the flow enabled just before it");
    expect(receiver.effectsByKey().get("SKU-NEW")).toEqual([1]);

    await setFlowEnabled(prisma, flowId, false);
    await fixture.publish(interleavedStockEvents(["SKU-OFF"], 1));
    // The event is taken (the cursor moves past both events) and runs nowhere.
    await waitUntil(async () => (await prisma.partition.aggregate({ _max: { cursor: true } }))._max.cursor === 2n, 15_000, "both events processed");
    expect(await prisma.run.count()).toBe(1);
    expect(receiver.effects.length).toBe(1);
  }, 60_000);
});
