import { afterEach, describe, expect, it } from "vitest";
import { discardDeadLetter, requestRedrive } from "@/server/history/dead-letter-store";
import { natsWorkerNotifier } from "./worker-notifier";
import { waitUntil } from "@/server/testing/wait-until";
import {
  assertInOrderComplete, interleavedStockEvents, startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture,
} from "./testing/runtime-fixture";

// The guarantees of docs/guarantees.md against a real nats-server, a real Postgres, real worker processes
// and a local HTTP receiver. Waiting is always for an observable condition, never a fixed sleep.

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const keys = (n: number) => Array.from({ length: n }, (_, i) => `SKU-${String(i).padStart(3, "0")}`);

describe("runtime", () => {
  it("keeps per-key order with two worker processes and random transient failures", async () => {
    fixture = await startRuntimeFixture({ partitions: 8 });
    const { receiver } = fixture;
    receiver.failureRate = 0.2;
    await fixture.deployFlow(stockToReceiverFlow(receiver.url));
    await fixture.startWorkerProcess();
    await fixture.startWorkerProcess();

    const skus = keys(40);
    const perKey = 15;
    const events = interleavedStockEvents(skus, perKey);
    for (let i = 0; i < events.length; i += 100) {
      const results = await fixture.publish(events.slice(i, i + 100));
      expect(results.every((r) => r.status === "accepted")).toBe(true);
    }
    await receiver.waitFor(() => receiver.effects.length >= skus.length * perKey, 90_000, "every delivery");
    assertInOrderComplete(receiver.effectsByKey(), skus, perKey);
    expect(receiver.effects.length).toBe(skus.length * perKey);
    expect(receiver.requests).toBeGreaterThan(receiver.effects.length); // failures really happened

    const deadLetters = await fixture.database.prisma.deadLetter.count();
    expect(deadLetters).toBe(0);
    // The receiver sees an effect before the worker records its outcome: wait for the records.
    const prisma = fixture.database.prisma;
    await waitUntil(async () => (await prisma.run.count({ where: { status: "succeeded" } })) === skus.length * perKey, 20_000, "every run recorded");
    const runs = await prisma.run.groupBy({ by: ["status"], _count: true });
    expect(runs).toEqual([{ status: "succeeded", _count: skus.length * perKey }]);
  }, 120_000);

  it("loses nothing and keeps order when a worker is SIGKILLed mid-load and started again", async () => {
    fixture = await startRuntimeFixture({ partitions: 8 });
    const { receiver } = fixture;
    await fixture.deployFlow(stockToReceiverFlow(receiver.url));
    const first = await fixture.startWorkerProcess();
    const skus = keys(30);
    const perKey = 20;
    const events = interleavedStockEvents(skus, perKey);
    const half = events.length / 2;
    await fixture.publish(events.slice(0, half));
    await receiver.waitFor(() => receiver.effects.length >= 50, 30_000, "some deliveries");
    await first.kill("SIGKILL");
    await fixture.publish(events.slice(half));
    await fixture.startWorkerProcess();
    await receiver.waitFor(() => receiver.effects.length >= events.length, 90_000, "every delivery after the restart");
    assertInOrderComplete(receiver.effectsByKey(), skus, perKey);
    expect(receiver.effects.length).toBe(events.length);
  }, 120_000);

  it("delivers every update in order after the receiving system was offline, none dead-lettered", async () => {
    fixture = await startRuntimeFixture({ partitions: 4 });
    const { receiver } = fixture;
    await fixture.deployFlow(stockToReceiverFlow(receiver.url, { attempts: 2 }));
    await fixture.startWorkerInProcess();
    const skus = keys(10);
    const perKey = 6;
    const events = interleavedStockEvents(skus, perKey);
    await receiver.goOffline();
    await fixture.publish(events);
    // The runtime has tried (and queued) every key while the receiver was down.
    const prisma = fixture.database.prisma;
    await waitUntil(async () => (await prisma.heldEvent.count()) === events.length, 30_000, "every event queued");
    expect(await prisma.run.count({ where: { status: "retrying" } })).toBe(skus.length);
    await receiver.comeBack();
    await receiver.waitFor(() => receiver.effects.length >= events.length, 60_000, "every delivery after recovery");
    assertInOrderComplete(receiver.effectsByKey(), skus, perKey);
    expect(await prisma.deadLetter.count()).toBe(0);
    await waitUntil(async () => (await prisma.heldEvent.count()) === 0, 10_000, "queues drained");
  }, 120_000);

  it("dead-letters a poison event with its attempts, holds the key's later events, and redrives them in order", async () => {
    fixture = await startRuntimeFixture({ partitions: 4 });
    const { receiver } = fixture;
    receiver.poison = (body) => body.sku === "SKU-POISON" && body.seq === 2;
    const flowId = await fixture.deployFlow(stockToReceiverFlow(receiver.url));
    // Dead letters are looked at only when poked: the redrive below must arrive as the web app's poke.
    await fixture.startWorkerInProcess({ deadLetterPollMs: 3_600_000 });
    const skus = ["SKU-POISON", ...keys(5)];
    const events = interleavedStockEvents(skus, 5);
    await fixture.publish(events);

    // Other keys are unaffected; the poisoned key stops after seq 1.
    await receiver.waitFor(() => receiver.effects.length >= 5 * 5 + 1, 30_000, "all healthy keys");
    const prisma = fixture.database.prisma;
    await waitUntil(async () => (await prisma.heldEvent.count({ where: { orderingKey: "SKU-POISON" } })) === 3, 10_000, "later events held").catch(async (e) => { console.log(await prisma.heldEvent.findMany(), await prisma.deadLetter.findMany(), await prisma.run.findMany({where:{orderingKey:"SKU-POISON"}}), receiver.effectsByKey()); throw e; });
    const deadLetter = await prisma.deadLetter.findFirstOrThrow({ where: { orderingKey: "SKU-POISON" } });
    expect(deadLetter).toMatchObject({ flowId, flowVersion: 1, nodeId: "deliver", status: "open", eventType: "stock.changed" });
    expect(deadLetter.error).toMatch(/422/);
    expect(deadLetter.error).toMatch(/not sellable/);
    expect((deadLetter.event as { data: { quantity: number } }).data.quantity).toBe(2);
    expect(deadLetter.attempts).toHaveLength(1);
    expect(deadLetter.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(receiver.effectsByKey().get("SKU-POISON")).toEqual([1]);

    // Redrive with a corrected payload (the receiver still refuses seq 2): the edited event and
    // everything held behind it arrive, in order.
    const edited = { ...(deadLetter.event as object), data: { sku: "SKU-POISON", quantity: 20 } };
    await requestRedrive(prisma, deadLetter.id, { event: edited }, { notify: notifier(fixture) });
    await receiver.waitFor(() => (receiver.effectsByKey().get("SKU-POISON") ?? []).length === 5, 30_000, "redrive");
    expect(receiver.effectsByKey().get("SKU-POISON")).toEqual([1, 20, 3, 4, 5]);
    await waitUntil(async () => (await prisma.deadLetter.findUniqueOrThrow({ where: { id: deadLetter.id } })).status === "redriven", 10_000, "dead letter redriven");
  }, 90_000);

  it("moves on past a dead letter under the skip policy, and discarding under hold releases the key", async () => {
    fixture = await startRuntimeFixture({ partitions: 4 });
    const { receiver } = fixture;
    receiver.poison = (body) => body.seq === 2;
    const skipFlow = await fixture.deployFlow({ ...stockToReceiverFlow(`${receiver.url}/skip`, { orderingPolicy: "skip" }), name: "skip" });
    const holdFlow = await fixture.deployFlow({ ...stockToReceiverFlow(`${receiver.url}/hold`, { orderingPolicy: "hold" }), name: "hold" });
    await fixture.startWorkerInProcess({ deadLetterPollMs: 3_600_000 }); // the discard must arrive as a poke
    await fixture.publish(interleavedStockEvents(["SKU-1"], 4));
    const seqs = (flowId: string) => receiver.effects.filter((e) => e.idempotencyKey.includes(flowId)).map((e) => e.body.seq);

    // Skip: the key moves on past its dead letter.
    await receiver.waitFor(() => seqs(skipFlow).length === 3, 20_000, "skip-policy deliveries");
    expect(seqs(skipFlow)).toEqual([1, 3, 4]);
    // Hold: the key's later events wait behind the dead letter…
    const prisma = fixture.database.prisma;
    await waitUntil(async () => (await prisma.heldEvent.count({ where: { flowId: holdFlow } })) === 2, 20_000, "held behind the dead letter");
    expect(seqs(holdFlow)).toEqual([1]);
    expect(await prisma.deadLetter.count({ where: { status: "open" } })).toBe(2);

    // …until it is discarded: then they arrive, in order, and the discarded one never does.
    const deadLetter = await prisma.deadLetter.findFirstOrThrow({ where: { flowId: holdFlow } });
    await discardDeadLetter(prisma, deadLetter.id, { notify: notifier(fixture) });
    await receiver.waitFor(() => seqs(holdFlow).length === 3, 20_000, "held events after the discard");
    expect(seqs(holdFlow)).toEqual([1, 3, 4]);
  }, 60_000);

  it("still redrives when the web app's poke is lost: the partition looks at its dead letters on its own", async () => {
    fixture = await startRuntimeFixture({ partitions: 2 });
    const { receiver } = fixture;
    receiver.poison = (body) => body.seq === 2;
    await fixture.deployFlow(stockToReceiverFlow(receiver.url));
    await fixture.startWorkerInProcess();
    await fixture.publish(interleavedStockEvents(["SKU-LOST"], 3));
    const prisma = fixture.database.prisma;
    await waitUntil(async () => (await prisma.heldEvent.count({ where: { orderingKey: "SKU-LOST" } })) === 1, 20_000, "seq 3 held behind the dead letter");
    const deadLetter = await prisma.deadLetter.findFirstOrThrow({ where: { orderingKey: "SKU-LOST" } });
    const edited = { ...(deadLetter.event as object), data: { sku: "SKU-LOST", quantity: 20 } };
    await requestRedrive(prisma, deadLetter.id, { event: edited }, { notify: async () => {} }); // the NATS message never arrives
    await receiver.waitFor(() => (receiver.effectsByKey().get("SKU-LOST") ?? []).length === 3, 20_000, "redrive without a poke");
    expect(receiver.effectsByKey().get("SKU-LOST")).toEqual([1, 20, 3]);
  }, 60_000);

  it("shuts down gracefully on SIGTERM: hands partitions back at once, loses and repeats nothing", async () => {
    fixture = await startRuntimeFixture({ partitions: 4 });
    const { receiver } = fixture;
    await fixture.deployFlow(stockToReceiverFlow(receiver.url));
    const first = await fixture.startWorkerProcess();
    const skus = keys(20);
    const events = interleavedStockEvents(skus, 10);
    await fixture.publish(events);
    await receiver.waitFor(() => receiver.effects.length >= 20, 30_000, "some deliveries");
    const exit = new Promise<number | null>((resolve) => first.child.once("exit", (code) => resolve(code)));
    first.child.kill("SIGTERM");
    expect(await exit).toBe(0);
    const owned = await fixture.database.prisma.partition.count({ where: { owner: { not: null } } });
    expect(owned).toBe(0); // no lease left to time out
    await fixture.startWorkerProcess();
    await receiver.waitFor(() => receiver.effects.length >= events.length, 60_000, "the rest after the restart");
    assertInOrderComplete(receiver.effectsByKey(), skus, 10);
    expect(receiver.requests).toBe(events.length); // nothing was sent twice
  }, 90_000);

  it("loses nothing accepted when NATS restarts mid-load; ingest refuses while it is down", async () => {
    fixture = await startRuntimeFixture({ partitions: 4 });
    const { receiver, nats } = fixture;
    await fixture.deployFlow(stockToReceiverFlow(receiver.url));
    await fixture.startWorkerProcess();
    const skus = keys(20);
    const perKey = 10;
    const events = interleavedStockEvents(skus, perKey);
    const accepted = new Set<string>();
    const third = Math.floor(events.length / 3);
    for (const r of await fixture.publish(events.slice(0, third))) accepted.add(r.id);

    await nats.stop();
    const { IngestUnavailableError } = await import("@/server/events/ingest");
    await expect(fixture.publish(events.slice(third, third + 10))).rejects.toBeInstanceOf(IngestUnavailableError);
    await nats.restart();

    // What was refused is sent again by the client, as a 503 + Retry-After tells it to.
    for (let i = third; i < events.length; i += 50) {
      for (const r of await publishWhenUp(fixture, events.slice(i, i + 50))) accepted.add(r.id);
    }
    expect(accepted.size).toBe(events.length);
    await receiver.waitFor(() => receiver.effects.length >= events.length, 90_000, "every accepted event delivered");
    assertInOrderComplete(receiver.effectsByKey(), skus, perKey);
  }, 120_000);

  it("runs nothing twice for a duplicate id, inside the duplicate window and after it", async () => {
    fixture = await startRuntimeFixture({ partitions: 2 });
    const { receiver } = fixture;
    await fixture.deployFlow(stockToReceiverFlow(receiver.url));
    await fixture.startWorkerInProcess();
    const event = { specversion: "1.0", id: "dup-1", source: "test", type: "stock.changed", subject: "SKU-DUP", data: { sku: "SKU-DUP", quantity: 1 } };
    expect(await fixture.publish([event])).toEqual([{ id: "dup-1", status: "accepted" }]);
    expect(await fixture.publish([event])).toEqual([{ id: "dup-1", status: "duplicate" }]);
    await receiver.waitFor(() => receiver.effects.length === 1, 20_000, "first delivery");

    // Beyond the window: JetStream accepts the id again (simulated by a fresh stream message with
    // the same id); the processed-event record must stop it. A marker event after it proves the
    // duplicate was consumed, not just slow.
    const { jetstream } = await import("@nats-io/jetstream");
    const { eventSubject } = await import("./stream-layout");
    const js = jetstream(fixture.nc);
    await js.publish(eventSubject(fixture.layout, "SKU-DUP", "stock.changed"), JSON.stringify(event), { msgID: "dup-1-beyond-window" });
    await fixture.publish([{ ...event, id: "marker", data: { sku: "SKU-DUP", quantity: 2 } }]);
    await receiver.waitFor(() => receiver.effects.length === 2, 20_000, "marker delivery");
    expect(receiver.effectsByKey().get("SKU-DUP")).toEqual([1, 2]);
    expect(await fixture.database.prisma.run.count({ where: { eventId: "dup-1" } })).toBe(1);
  }, 60_000);
});

function notifier(f: RuntimeFixture) {
  return natsWorkerNotifier({ connection: async () => f.nc, prefix: f.layout.prefix });
}

async function publishWhenUp(f: RuntimeFixture, events: unknown[]) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await f.publish(events);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

