import "server-only";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { NatsConnection } from "@nats-io/transport-node";
import type { PrismaClient } from "@/server/db/generated/client";
import type { StreamLayout } from "@/server/runtime/stream-layout";
import { brokerStatus } from "./broker-status";
import { ingestMetrics } from "@/server/events/ingest-counter";
import { runtimeStatus } from "./runtime-status";

// GET /api/metrics. Counters of runs are fed from the run history at scrape time: each scrape
// reads the runs that finished since the previous one (an index range on Run.finishedAt), so the
// web app can answer for every worker without the workers serving HTTP. Gauges are read fresh.
// Labels are bounded: flow ids, partitions, worker ids and event types are all finite sets.

type Db = PrismaClient;

export interface MetricsSources {
  db: Db;
  nats: () => Promise<NatsConnection>;
  layout: Pick<StreamLayout, "prefix" | "partitions">;
}

/** Runs committed within this much of "now" may still be in flight in a batch; count them next time. */
const SETTLE_MS = 2_000;
/** Most runs one scrape reads; the rest are counted by the next scrapes. */
const MAX_RUNS_PER_SCRAPE = 50_000;
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export interface PrometheusMetrics {
  registry: Registry;
  /** Brings the run counters up to date and renders every metric in the text format. */
  render: () => Promise<string>;
}

export function createPrometheusMetrics(sources: MetricsSources): PrometheusMetrics {
  const registry = new Registry();
  const runs = new Counter({ name: "syncline_runs_total", help: "Flow runs finished, by flow id and outcome", labelNames: ["flow", "status"] as const, registers: [registry] });
  const duration = new Histogram({
    name: "syncline_run_duration_seconds", help: "Time from a run's start to its outcome", buckets: DURATION_BUCKETS, registers: [registry],
  });
  const publishToStart = new Histogram({
    name: "syncline_publish_to_start_seconds",
    help: "Time from JetStream storing an event (its message timestamp) to the start of its run",
    buckets: DURATION_BUCKETS, registers: [registry],
  });
  const workerMemory = new Gauge({
    name: "syncline_worker_memory_bytes", help: "Resident memory (RSS) of each worker at its last heartbeat", labelNames: ["worker"] as const, registers: [registry],
  });
  const lag = new Gauge({ name: "syncline_consumer_lag", help: "Events in the stream not yet processed, per partition", labelNames: ["partition"] as const, registers: [registry] });
  const redeliveries = new Gauge({
    name: "syncline_redeliveries_total",
    help: "Messages JetStream delivered more than once that still wait for an ack, over all partitions",
    registers: [registry],
  });
  const deadLetters = new Gauge({ name: "syncline_dead_letters_open", help: "Open dead letters, by flow id", labelNames: ["flow"] as const, registers: [registry] });
  const held = new Gauge({ name: "syncline_held_events", help: "Events waiting behind an earlier one of their key, by flow id", labelNames: ["flow"] as const, registers: [registry] });
  const workerUp = new Gauge({ name: "syncline_worker_up", help: "1 while a worker sends heartbeats, 0 once it stopped (listed for an hour)", labelNames: ["worker"] as const, registers: [registry] });

  let watermark: { at: Date; id: string } | undefined;

  async function countFinishedRuns() {
    const { db } = sources;
    if (!watermark) {
      // Counting starts with this process: Prometheus treats a restart as a counter reset.
      const [row] = await db.$queryRaw<{ now: Date }[]>`SELECT now() - ${SETTLE_MS} * interval '1 millisecond' AS now`;
      watermark = { at: row!.now, id: "" };
      return;
    }
    const rows = await db.$queryRaw<{ id: string; flowId: string; status: string; finishedAt: Date; seconds: number; waited: number | null }[]>`
      SELECT id, "flowId", status, "finishedAt", extract(epoch FROM "finishedAt" - "startedAt")::float8 AS seconds,
        extract(epoch FROM "startedAt" - "publishedAt")::float8 AS waited FROM "Run"
      WHERE NOT test AND "finishedAt" IS NOT NULL AND "finishedAt" <= now() - ${SETTLE_MS} * interval '1 millisecond'
        AND ("finishedAt" > ${watermark.at} OR ("finishedAt" = ${watermark.at} AND id > ${watermark.id}))
      ORDER BY "finishedAt", id LIMIT ${MAX_RUNS_PER_SCRAPE}`;
    for (const row of rows) {
      runs.inc({ flow: row.flowId, status: row.status });
      duration.observe(Math.max(0, row.seconds));
      // Two clocks (NATS's and the worker's): a small negative difference is skew, not time travel.
      if (row.waited !== null) publishToStart.observe(Math.max(0, row.waited));
    }
    const last = rows.at(-1);
    if (last) watermark = { at: last.finishedAt, id: last.id };
  }

  async function readGauges() {
    const [status, broker] = await Promise.all([
      runtimeStatus(sources.db),
      sources.nats().then((nc) => brokerStatus(nc, sources.layout)).catch(() => null),
    ]);
    deadLetters.reset();
    held.reset();
    for (const flow of status.flows) {
      deadLetters.set({ flow: flow.flowId }, flow.openDeadLetters);
      held.set({ flow: flow.flowId }, flow.heldEvents);
    }
    workerUp.reset();
    workerMemory.reset();
    for (const worker of status.workers) {
      workerUp.set({ worker: worker.id }, worker.up ? 1 : 0);
      if (worker.up && worker.rssBytes !== null) workerMemory.set({ worker: worker.id }, worker.rssBytes);
    }
    lag.reset();
    if (broker?.ok) {
      for (const p of broker.partitions) lag.set({ partition: String(p.partition) }, p.lag);
      redeliveries.set(broker.partitions.reduce((sum, p) => sum + p.redelivered, 0));
    }
  }

  let rendering: Promise<string> | undefined;
  return {
    registry,
    // One scrape at a time, so two concurrent scrapes cannot count the same runs twice.
    render: () => {
      rendering ??= (async () => {
        try {
          await Promise.all([countFinishedRuns(), readGauges()]);
          const merged = Registry.merge([registry, ingestMetrics().registry]);
          return await merged.metrics();
        } finally {
          rendering = undefined;
        }
      })();
      return rendering;
    },
  };
}

export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
