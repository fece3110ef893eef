import { afterEach, describe, expect, it } from "vitest";
import { discardDeadLetter } from "@/server/history/dead-letter-store";
import { listResolved } from "@/server/history/dead-letter-inbox";
import { natsWorkerNotifier } from "./worker-notifier";
import { waitUntil } from "@/server/testing/wait-until";
import { interleavedStockEvents, startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture } from "./testing/runtime-fixture";

// "Discard them too" (decision 0024) against a real nats-server, Postgres, worker and a local
// receiver: the events held behind a dead letter never reach the receiver, later events of the
// key do. (Discard with "release" is covered in runtime.test.ts.)

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

describe("discarding a dead letter with its held events", () => {
  it("drops the 3 held events, records them as discarded by who, and runs the key's later events", async () => {
    fixture = await startRuntimeFixture({ partitions: 4 });
    const { receiver } = fixture;
    const prisma = fixture.database.prisma;
    receiver.poison = (body) => body.seq === 1;
    const flowId = await fixture.deployFlow(stockToReceiverFlow(receiver.url, { orderingPolicy: "hold" }));
    await fixture.startWorkerInProcess();
    const events = interleavedStockEvents(["SKU-D"], 6);
    await fixture.publish(events.slice(0, 4));

    await waitUntil(async () => (await prisma.heldEvent.count({ where: { flowId } })) === 3, 20_000, "3 events held behind the dead letter");
    const letter = await prisma.deadLetter.findFirstOrThrow({ where: { flowId, status: "open" } });

    await discardDeadLetter(prisma, letter.id, { held: "discard", by: "Ada (ada@example.com)", notify: natsWorkerNotifier({ connection: async () => fixture!.nc, prefix: fixture!.layout.prefix }) });
    await waitUntil(async () => (await prisma.deadLetter.findUniqueOrThrow({ where: { id: letter.id } })).status === "discarded", 20_000, "the letter discarded by the worker");
    expect(await prisma.heldEvent.count({ where: { flowId } })).toBe(0);

    // New events of the key run; the held ones never do.
    await fixture.publish(events.slice(4));
    await receiver.waitFor(() => (receiver.effectsByKey().get("SKU-D") ?? []).length >= 2, 20_000, "the later events");
    expect(receiver.effectsByKey().get("SKU-D")).toEqual([5, 6]);

    // The dropped events are recorded: their runs ended as discarded, and the resolved list names them, who and when.
    const runs = await prisma.run.findMany({ where: { flowId, status: "discarded" }, orderBy: { sequence: "asc" } });
    expect(runs.map((r) => (r.event as { data: { quantity: number } }).data.quantity)).toEqual([2, 3, 4]);
    const resolved = await listResolved(prisma, { flowId });
    const dropped = resolved.filter((r) => r.heldBehind === letter.id);
    expect(dropped.map((r) => r.eventId).sort()).toEqual(events.slice(1, 4).map((e) => e.id).sort());
    expect(dropped.every((r) => r.resolution === "discarded" && r.resolvedBy === "Ada (ada@example.com)")).toBe(true);
    expect(resolved.find((r) => r.id === letter.id)).toMatchObject({ resolution: "discarded", resolvedBy: "Ada (ada@example.com)" });
  }, 60_000);
});
