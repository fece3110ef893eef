import { afterEach, describe, expect, it } from "vitest";
import { keyTimeline } from "@/server/history/run-history";
import { interleavedStockEvents, startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture } from "./testing/runtime-fixture";
import { waitUntil } from "@/server/testing/wait-until";

// A first run slower than the inline budget must not hold up its batch: it is committed as its
// key's `detached` queue head, the batch (other keys, the cursor) moves on, and the key's later
// events wait behind it. Real nats-server, Postgres and worker; the receiver stalls on purpose.

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

describe("detached runs", () => {
  it("parks a slow first run as its key's detached head, lets the batch move on, and records it when it ends", async () => {
    fixture = await startRuntimeFixture({ partitions: 2 });
    const { receiver } = fixture;
    const prisma = fixture.database.prisma;
    receiver.stall = (body) => body.sku === "SKU-SLOW" && body.seq === 1;
    // The stalled call must outlast the inline budget, not its own timeout.
    await fixture.deployFlow(stockToReceiverFlow(receiver.url, { timeoutMs: 60_000 }));
    await fixture.startWorkerInProcess({ inlineBudgetMs: 100 });
    await fixture.publish(interleavedStockEvents(["SKU-SLOW", "SKU-FAST"], 3));

    await waitUntil(async () => (await prisma.heldEvent.count({ where: { orderingKey: "SKU-SLOW", state: "detached" } })) === 1, 20_000, "the slow run detached");
    // Other keys are not held up by it, and neither is the cursor.
    await receiver.waitFor(() => (receiver.effectsByKey().get("SKU-FAST") ?? []).length === 3, 20_000, "the other key");
    expect(receiver.effectsByKey().get("SKU-FAST")).toEqual([1, 2, 3]);
    await waitUntil(async () => (await prisma.heldEvent.count({ where: { orderingKey: "SKU-SLOW" } })) === 3, 20_000, "later events queued behind it");
    const queue = await prisma.heldEvent.findMany({ where: { orderingKey: "SKU-SLOW" }, orderBy: { id: "asc" } });
    expect(queue.map((h) => [(h.event as { data: { quantity: number } }).data.quantity, h.state])).toEqual([[1, "detached"], [2, "queued"], [3, "queued"]]);
    const detached = queue[0]!;
    // The key's timeline says which of its queued events is running right now.
    const timeline = await keyTimeline(prisma, "SKU-SLOW");
    expect(timeline.entries.flatMap((e) => (e.kind === "held" ? [[e.held.eventId, e.held.state]] : []))).toEqual([
      [queue[2]!.eventId, "queued"], [queue[1]!.eventId, "queued"], [detached.eventId, "detached"],
    ]);
    expect(detached.nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now()); // no far-future placeholder
    expect((await prisma.run.findUniqueOrThrow({ where: { id: detached.runId } })).status).toBe("held");
    // The stream holds the six events; the batches committed past them all.
    await waitUntil(async () => (await prisma.partition.aggregate({ _max: { cursor: true } }))._max.cursor === 6n, 10_000, "cursor past every event");
    expect(receiver.stalled).toBe(1);
    expect(receiver.effectsByKey().get("SKU-SLOW")).toBeUndefined();

    receiver.releaseStalled();
    await receiver.waitFor(() => (receiver.effectsByKey().get("SKU-SLOW") ?? []).length === 3, 20_000, "the slow key");
    expect(receiver.effectsByKey().get("SKU-SLOW")).toEqual([1, 2, 3]);
    await waitUntil(async () => (await prisma.heldEvent.count()) === 0, 10_000, "queue drained");
    await waitUntil(async () => (await prisma.run.count({ where: { status: "succeeded" } })) === 6, 10_000, "every run recorded");
    expect(await prisma.run.findUniqueOrThrow({ where: { id: detached.runId } })).toMatchObject({ status: "succeeded", attempts: 1 });
  }, 60_000);

  it("runs a detached head again when its worker died while running it", async () => {
    fixture = await startRuntimeFixture({ partitions: 1 });
    const { receiver } = fixture;
    const prisma = fixture.database.prisma;
    receiver.stall = (body) => body.seq === 1;
    await fixture.deployFlow(stockToReceiverFlow(receiver.url, { timeoutMs: 60_000 }));
    const first = await fixture.startWorkerProcess();
    await fixture.publish(interleavedStockEvents(["SKU-CRASH"], 3));
    // The worker process has the default 2 s inline budget.
    await waitUntil(async () => (await prisma.heldEvent.count({ where: { state: "detached" } })) === 1, 30_000, "the slow run detached");
    await first.kill("SIGKILL");

    // The stalled request of the dead worker is never answered with an effect; the next owner
    // (once the lease ran out) runs the event again, then the rest of the key, in order.
    receiver.releaseStalled();
    await fixture.startWorkerProcess();
    await receiver.waitFor(() => (receiver.effectsByKey().get("SKU-CRASH") ?? []).length === 3, 60_000, "the key after the take-over");
    expect(receiver.effectsByKey().get("SKU-CRASH")).toEqual([1, 2, 3]);
    expect(receiver.requests).toBe(4); // seq 1 twice: the dead worker's try and the new owner's
    await waitUntil(async () => (await prisma.heldEvent.count()) === 0, 10_000, "queue drained");
  }, 90_000);

  it("dead-letters an event that killed the worker running it three times, and its key moves on", async () => {
    fixture = await startRuntimeFixture({ partitions: 1 });
    const { receiver } = fixture;
    const prisma = fixture.database.prisma;
    // The stalled call stands for an event that crashes its worker: each worker is killed while running it.
    receiver.stall = (body) => body.seq === 1;
    await fixture.deployFlow(stockToReceiverFlow(receiver.url, { timeoutMs: 60_000, orderingPolicy: "skip" }));
    await fixture.publish(interleavedStockEvents(["SKU-LOOP"], 3));
    for (let death = 1; death <= 3; death++) {
      const worker = await fixture.startWorkerProcess();
      await receiver.waitFor(() => receiver.stalled === death, 60_000, `try ${death} of the deadly event`);
      await waitUntil(async () => (await prisma.heldEvent.count({ where: { state: "detached" } })) === 1, 30_000, "the event detached");
      await worker.kill("SIGKILL");
    }
    await fixture.startWorkerProcess();
    await waitUntil(async () => (await prisma.deadLetter.count()) === 1, 60_000, "the crash loop dead-lettered");
    const deadLetter = await prisma.deadLetter.findFirstOrThrow();
    expect(deadLetter.error).toBe("worker died while running this event 3 times");
    expect((deadLetter.event as { data: { quantity: number } }).data.quantity).toBe(1);
    expect(deadLetter.attempts).toEqual([
      expect.objectContaining({ workerDied: true }),
      expect.objectContaining({ workerDied: true }),
      expect.objectContaining({ error: "worker died while running this event 3 times", transient: false }),
    ]);
    expect(receiver.stalled).toBe(3); // the fourth owner did not run it again
    receiver.releaseStalled();
    await receiver.waitFor(() => (receiver.effectsByKey().get("SKU-LOOP") ?? []).filter((seq) => seq > 1).length === 2, 30_000, "the key's later events");
    expect(receiver.effectsByKey().get("SKU-LOOP")!.filter((seq) => seq > 1)).toEqual([2, 3]);
  }, 240_000);

  it("dead-letters an event that killed its worker while running inline, before it could detach, and its key moves on", async () => {
    fixture = await startRuntimeFixture({ partitions: 1 });
    const { receiver } = fixture;
    const prisma = fixture.database.prisma;
    // Each worker is killed as soon as the deadly call arrives, well inside the 2 s inline budget:
    // nothing of the event was committed when its worker died.
    receiver.stall = (body) => body.seq === 1;
    await fixture.deployFlow(stockToReceiverFlow(receiver.url, { timeoutMs: 60_000, orderingPolicy: "skip" }));
    await fixture.publish(interleavedStockEvents(["SKU-INLINE"], 3));
    // The first death is in a batch of several events; the next owners run them one at a time and
    // note the one they run, so the next three deaths are counted against the event.
    for (let death = 1; death <= 4; death++) {
      const worker = await fixture.startWorkerProcess();
      await receiver.waitFor(() => receiver.stalled === death, 60_000, `try ${death} of the deadly event`);
      await worker.kill("SIGKILL");
      expect(await prisma.heldEvent.count()).toBe(0); // it was running inline, not detached
    }
    await fixture.startWorkerProcess();
    await waitUntil(async () => (await prisma.deadLetter.count()) === 1, 60_000, "the crash loop dead-lettered");
    const deadLetter = await prisma.deadLetter.findFirstOrThrow();
    expect(deadLetter.error).toBe("worker died while running this event 3 times");
    expect((deadLetter.event as { data: { quantity: number } }).data.quantity).toBe(1);
    expect(deadLetter.attempts).toEqual([
      expect.objectContaining({ workerDied: true }),
      expect.objectContaining({ workerDied: true }),
      expect.objectContaining({ error: "worker died while running this event 3 times", transient: false }),
    ]);
    await receiver.waitFor(() => (receiver.effectsByKey().get("SKU-INLINE") ?? []).length === 2, 30_000, "the key's later events");
    expect(receiver.effectsByKey().get("SKU-INLINE")).toEqual([2, 3]);
    expect(receiver.stalled).toBe(4); // the fifth owner did not run it again
    expect(await prisma.run.findFirstOrThrow({ where: { eventId: deadLetter.eventId } })).toMatchObject({ status: "dead-lettered" });
  }, 240_000);
});
