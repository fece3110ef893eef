import { jetstream } from "@nats-io/jetstream";
import { afterEach, describe, expect, it } from "vitest";
import { eventSubject } from "./stream-layout";
import { startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture } from "./testing/runtime-fixture";
import { waitUntil } from "@/server/testing/wait-until";

// Postgres refuses some values as data (SQLSTATE class 22/23), most often U+0000 in text or JSON.
// Writing the same rows again fails again, so retrying would stall the partition (or the key)
// forever. The runtime dead-letters the event with the database's message instead and moves on.
// Real nats-server, Postgres and worker.

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const stock = (id: string, subject: string, quantity: number) => ({
  specversion: "1.0", id, source: "test/erp", type: "stock.changed", subject, data: { sku: subject, quantity },
});

describe("rows the database refuses", () => {
  it("dead-letters the event whose outcome cannot be stored, with the database's message, and the partition moves on", async () => {
    fixture = await startRuntimeFixture({ partitions: 1 });
    const { receiver } = fixture;
    const prisma = fixture.database.prisma;
    const flowId = await fixture.deployFlow(stockToReceiverFlow(receiver.url));
    await fixture.startWorkerInProcess();
    // Ingest refuses U+0000, but any producer with access to NATS can publish to the stream
    // directly; the worker must survive such an event whoever wrote it.
    expect((await fixture.publish([stock("a-1", "SKU-A", 1)])).map((r) => r.status)).toEqual(["accepted"]);
    const nul = stock("nul-1", "SKU-\u0000NUL", 1);
    await jetstream(fixture.nc).publish(eventSubject(fixture.layout, nul.subject, nul.type), JSON.stringify(nul), { msgID: nul.id });
    const results = await fixture.publish([stock("a-2", "SKU-A", 2), stock("b-1", "SKU-B", 1)]);
    expect(results.map((r) => r.status)).toEqual(["accepted", "accepted"]);

    await waitUntil(async () => (await prisma.deadLetter.count()) === 1, 20_000, "the refused event dead-lettered");
    const deadLetter = await prisma.deadLetter.findFirstOrThrow();
    expect(deadLetter).toMatchObject({ flowId, eventId: "nul-1", orderingKey: "SKU-\uFFFDNUL", status: "open", nodeId: "" });
    expect(deadLetter.error).toMatch(/^the database refused to store this event's outcome: .+ \(SQLSTATE 22[0-9A-Z]{3}\)$/);
    expect((deadLetter.event as { subject: string }).subject).toBe("SKU-\uFFFDNUL");
    expect(deadLetter.attempts).toEqual([expect.objectContaining({ error: deadLetter.error, transient: false, attempt: 1 })]);
    const run = await prisma.run.findFirstOrThrow({ where: { eventId: "nul-1" } });
    expect(run).toMatchObject({ status: "dead-lettered", error: deadLetter.error, id: deadLetter.runId });

    // The other events of the same batch and after it were recorded, and the cursor moved past them all.
    await waitUntil(async () => (await prisma.run.count({ where: { status: "succeeded" } })) === 3, 20_000, "the other runs");
    expect(receiver.effectsByKey().get("SKU-A")).toEqual([1, 2]);
    expect(receiver.effectsByKey().get("SKU-B")).toEqual([1]);
    await fixture.publish([stock("b-2", "SKU-B", 2)]);
    await receiver.waitFor(() => (receiver.effectsByKey().get("SKU-B") ?? []).length === 2, 20_000, "an event after the refused batch");
    await waitUntil(async () => (await prisma.partition.findUniqueOrThrow({ where: { partition: 0 } })).cursor === 5n, 10_000, "cursor past every event");
  }, 60_000);

  it("dead-letters a queued event whose settled outcome cannot be stored, and its key moves on (skip policy)", async () => {
    fixture = await startRuntimeFixture({ partitions: 1 });
    const { receiver } = fixture;
    const prisma = fixture.database.prisma;
    await fixture.deployFlow(stockToReceiverFlow(receiver.url, { orderingPolicy: "skip" }));
    await fixture.startWorkerInProcess();
    // seq 1 fails once (503), so seq 2 and 3 queue up behind it and run in the key's lane; the
    // answer to seq 2 carries a U+0000, which its run's step record cannot store.
    let firstTry = true;
    receiver.respond = (body) => {
      if (body.seq === 1 && firstTry) {
        firstTry = false;
        return { status: 503, json: { error: "busy" } };
      }
      if (body.seq === 2) return { status: 200, json: { ok: true, note: "bad\u0000byte" } };
      return undefined;
    };
    await fixture.publish([stock("l-1", "SKU-L", 1), stock("l-2", "SKU-L", 2), stock("l-3", "SKU-L", 3)]);

    await waitUntil(async () => (await prisma.deadLetter.count()) === 1, 20_000, "the refused event dead-lettered");
    const deadLetter = await prisma.deadLetter.findFirstOrThrow();
    expect(deadLetter).toMatchObject({ eventId: "l-2", orderingKey: "SKU-L", status: "open" });
    expect(deadLetter.error).toMatch(/^the database refused to store this event's outcome: .+ \(SQLSTATE 22[0-9A-Z]{3}\)$/);
    await receiver.waitFor(() => (receiver.effectsByKey().get("SKU-L") ?? []).includes(3), 20_000, "the key's next event");
    expect(receiver.effectsByKey().get("SKU-L")).toEqual([1, 3]);
    await waitUntil(async () => (await prisma.heldEvent.count()) === 0, 10_000, "queue drained");
    expect(await prisma.run.findFirstOrThrow({ where: { eventId: "l-2" } })).toMatchObject({ status: "dead-lettered", error: deadLetter.error, steps: [] });
  }, 60_000);
});
