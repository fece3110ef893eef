import { afterEach, describe, expect, it } from "vitest";
import { interleavedStockEvents, startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture } from "@/server/runtime/testing/runtime-fixture";
import { createPrometheusMetrics } from "./prometheus-metrics";
import { uncachedRunSeries } from "./run-series";
import { runtimeStatus } from "./runtime-status";

// The metrics an operator's Prometheus scrapes, and the dashboard's series, following real
// events through a real worker.

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

/** The value of one sample in the text format, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (.+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? "").split(",").filter(Boolean);
    if (wanted.every((w) => have.includes(w))) return Number(match[3]);
  }
  return 0;
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value).slice(0, 2000)}`);
    // Paces the polling only.
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("GET /api/metrics values", () => {
  it("move as events flow: ingested, runs by flow and outcome, durations, lag, dead letters, held events, workers", async () => {
    fixture = await startRuntimeFixture({ partitions: 2 });
    const { receiver, database } = fixture;
    const prisma = database.prisma;
    receiver.poison = (body) => body.sku === "SKU-BAD" && body.seq === 1;
    const flowId = await fixture.deployFlow(stockToReceiverFlow(receiver.url, { orderingPolicy: "hold", attempts: 1 }));
    const worker = await fixture.startWorkerInProcess();
    const metrics = createPrometheusMetrics({ db: prisma, nats: async () => fixture!.nc, layout: fixture.layout });

    const before = await metrics.render();
    const ingestedBefore = sample(before, "syncline_events_ingested_total", { type: "stock.changed" });
    expect(sample(before, "syncline_runs_total", { flow: flowId, status: "succeeded" })).toBe(0);

    await fixture.publish([...interleavedStockEvents(["SKU-1", "SKU-2"], 5), ...interleavedStockEvents(["SKU-BAD"], 3)]);
    const after = await until(
      () => metrics.render(),
      (text) => sample(text, "syncline_runs_total", { flow: flowId, status: "succeeded" }) === 10 && sample(text, "syncline_held_events", { flow: flowId }) === 2,
      "10 succeeded runs and 2 held events in the metrics",
    );
    expect(sample(after, "syncline_events_ingested_total", { type: "stock.changed" }) - ingestedBefore).toBe(13);
    expect(sample(after, "syncline_runs_total", { flow: flowId, status: "dead-lettered" })).toBe(1);
    expect(sample(after, "syncline_dead_letters_open", { flow: flowId })).toBe(1);
    expect(sample(after, "syncline_run_duration_seconds_count")).toBe(11);
    expect(sample(after, "syncline_run_duration_seconds_bucket", { le: "+Inf" })).toBe(11);
    expect(sample(after, "syncline_worker_up", { worker: worker.id })).toBe(1);
    // Publish→start: every run knows when JetStream stored its event.
    expect(sample(after, "syncline_publish_to_start_seconds_count")).toBe(11);
    expect(sample(after, "syncline_publish_to_start_seconds_bucket", { le: "+Inf" })).toBe(11);
    const runs = await prisma.run.findMany({ where: { flowId } });
    expect(runs.every((r) => r.publishedAt !== null && Math.abs(r.startedAt.getTime() - r.publishedAt.getTime()) < 60_000)).toBe(true);
    // Worker memory as its last heartbeat reported it.
    expect(sample(after, "syncline_worker_memory_bytes", { worker: worker.id })).toBeGreaterThan(10 * 1024 * 1024);
    expect(after).toMatch(/syncline_consumer_lag\{partition="0"\} \d+/);
    expect(after).toMatch(/syncline_consumer_lag\{partition="1"\} \d+/);

    // A scrape counts each run once.
    const again = await metrics.render();
    expect(sample(again, "syncline_runs_total", { flow: flowId, status: "succeeded" })).toBe(10);

    // The dashboard reads the same history.
    const series = await uncachedRunSeries(prisma, "15m");
    expect(series.totals.events).toBe(13);
    expect(series.totals.publishToStart.p50Ms).toEqual(expect.any(Number));
    expect(series.totals.publishToStart.p99Ms!).toBeGreaterThanOrEqual(series.totals.publishToStart.p50Ms!);
    expect(series.runsByFlow).toEqual([expect.objectContaining({ flowId, succeeded: 10, failed: 1 })]);
    expect(series.eventsPerSecond.series).toEqual(["stock.changed"]);
    const perSecond = series.eventsPerSecond.points.reduce((sum, p) => sum + (p.values["stock.changed"] ?? 0), 0);
    expect(perSecond * (series.bucketMs / 1000)).toBeCloseTo(13);
    const status = await runtimeStatus(prisma);
    expect(status.flows).toEqual([expect.objectContaining({ flowId, openDeadLetters: 1, heldEvents: 2 })]);
    expect(status.partitions.every((p) => p.owner === worker.id && p.problem === null)).toBe(true);
    expect(status.workers.find((w) => w.id === worker.id)?.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
  }, 90_000);
});
