import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowDocument } from "@/server/flows/flow-document";
import { eventsStreamName } from "@/server/runtime/stream-layout";
import { startRuntimeFixture, type RuntimeFixture } from "@/server/runtime/testing/runtime-fixture";
import { Scheduler } from "./scheduler";

// Schedule triggers with several real worker processes (each runs a scheduler), the real NATS
// JetStream and Postgres: every tick runs the flow exactly once, and killing every worker in the
// middle neither skips nor repeats a tick.

let fixture: RuntimeFixture;
let flowId: string;

function everySecondFlow(receiverUrl: string, cron = "* * * * * *"): FlowDocument {
  return {
    schemaVersion: 1,
    name: "Every second",
    nodes: [
      { id: "tick", kind: "trigger:schedule", version: 1, position: { x: 0, y: 0 }, config: { cron, timezone: "Europe/Amsterdam" } },
      {
        id: "deliver", kind: "action:http-request", version: 1, position: { x: 300, y: 0 },
        config: {
          method: "POST", url: `${receiverUrl}/tick`, body: '{"sku": "tick", "seq": $toMillis(event.data.scheduledTime)}', timeoutMs: 2000,
          retry: { attempts: 5, initialBackoffMs: 20, maxBackoffMs: 200, jitter: 0.2 },
        },
      },
    ],
    edges: [{ id: "e1", source: "tick", target: "deliver" }],
    settings: { orderingPolicy: "hold" },
  };
}

beforeAll(async () => {
  fixture = await startRuntimeFixture({ partitions: 4 });
  flowId = await fixture.deployFlow(everySecondFlow(fixture.receiver.url));
}, 60_000);
afterAll(async () => {
  await fixture?.close();
});

/** Scheduled time (ms) → how many runs the flow has for that tick. */
async function runsPerTick(): Promise<Map<number, number>> {
  const runs = await fixture.database.prisma.run.findMany({ where: { flowId }, select: { eventId: true } });
  const perTick = new Map<number, number>();
  for (const { eventId } of runs) {
    const tick = Date.parse(eventId.slice(`schedule:${flowId}:`.length));
    perTick.set(tick, (perTick.get(tick) ?? 0) + 1);
  }
  return perTick;
}

async function waitForTicks(count: number, timeoutMs: number): Promise<Map<number, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const perTick = await runsPerTick();
    if (perTick.size >= count) return perTick;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} ticks (${perTick.size} so far)`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("schedule trigger", () => {
  it("runs once per tick with two workers, and a restart of every worker neither skips nor repeats a tick", async () => {
    const first = [await fixture.startWorkerProcess(), await fixture.startWorkerProcess()];
    await waitForTicks(4, 30_000);
    await Promise.all(first.map((worker) => worker.kill("SIGKILL")));
    const beforeRestart = await runsPerTick();
    await fixture.startWorkerProcess();
    await fixture.startWorkerProcess();

    // Ticks are one ordering key, run in order: once the tick `lastWanted` has run, every earlier
    // tick has been published and run too — whatever is missing or doubled up to it is a fault.
    const firstTick = Math.min(...beforeRestart.keys());
    const lastWanted = Math.max(...beforeRestart.keys()) + 8_000;
    const deadline = Date.now() + 60_000;
    let perTick = await runsPerTick();
    while (!perTick.has(lastWanted)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for the tick at ${new Date(lastWanted).toISOString()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      perTick = await runsPerTick();
    }
    const ticks = [...perTick.keys()].filter((t) => t <= lastWanted).sort((a, b) => a - b);
    const expected = Array.from({ length: (lastWanted - firstTick) / 1000 + 1 }, (_, i) => firstTick + i * 1000);
    expect(ticks.map((t) => new Date(t).toISOString())).toEqual(expected.map((t) => new Date(t).toISOString()));
    expect(ticks.length).toBeGreaterThanOrEqual(10);
    expect(ticks.filter((t) => perTick.get(t) !== 1)).toEqual([]);
    // Whole seconds: the event id and the data carry the scheduled time, not when it was published.
    expect(ticks.every((t) => t % 1000 === 0)).toBe(true);

    const cursor = await fixture.database.prisma.scheduleCursor.findUniqueOrThrow({ where: { flowId } });
    expect(cursor.lastTickAt.getTime()).toBeGreaterThanOrEqual(lastWanted);
  }, 120_000);
});

describe("schedulers racing for the same tick", () => {
  let own: RuntimeFixture;
  beforeAll(async () => {
    own = await startRuntimeFixture({ partitions: 2 });
  }, 60_000);
  afterAll(async () => {
    await own?.close();
  });

  it("publish it once: the event id is flow id + scheduled time, and JetStream drops the copies", async () => {
    const id = await own.deployFlow(everySecondFlow(own.receiver.url, "0 * * * * *"));
    const schedulers = [1, 2, 3].map(() => new Scheduler({ db: own.database.prisma, nc: own.nc, layout: own.layout, catchUpMs: 3_600_000, log: () => {} }));
    const start = new Date("2026-01-01T00:00:00.500Z");
    await schedulers[0]!.fireDue(start); // first sight: the schedule starts here
    // All three read the same cursor at the same moment and publish the same three ticks.
    const later = new Date("2026-01-01T00:03:10.000Z");
    await Promise.all(schedulers.map((s) => s.fireDue(later)));
    await Promise.all(schedulers.map((s) => s.fireDue(later)));

    const jsm = await jetstreamManager(own.nc);
    const info = await jsm.streams.info(eventsStreamName(own.layout));
    expect(info.state.messages).toBe(3);
    const stored = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) stored.push((await jsm.streams.getMessage(eventsStreamName(own.layout), { seq }))!.json<{ id: string }>().id);
    expect(stored).toEqual(["00:01", "00:02", "00:03"].map((t) => `schedule:${id}:2026-01-01T${t}:00.000Z`));
    expect((await own.database.prisma.scheduleCursor.findUniqueOrThrow({ where: { flowId: id } })).lastTickAt.toISOString()).toBe("2026-01-01T00:03:00.000Z");
  });
});
