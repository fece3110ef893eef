import "server-only";
import * as z from "zod";
import type { PrismaClient } from "@/server/db/generated/client";
import { flowNames } from "@/server/history/run-history";

// The dashboard's time series, derived from the run history rather than stored separately: a
// window is one range read of the (startedAt) index, bucketed in SQL. At 1 M runs a day the widest
// window (24 h) reads at most ~1 M index entries, and results are cached briefly so many open
// dashboards cost one query per window (see docs/decisions/0010-dead-letter-inbox-and-monitoring.md).

type Db = PrismaClient;

const monitoringWindows = ["15m", "1h", "24h"] as const;
export type MonitoringWindow = (typeof monitoringWindows)[number];
export const windowSchema = z.object({ window: z.enum(monitoringWindows).default("15m") });

const windowSpec: Record<MonitoringWindow, { spanMs: number; bucketMs: number }> = {
  "15m": { spanMs: 15 * 60_000, bucketMs: 30_000 },
  "1h": { spanMs: 3600_000, bucketMs: 60_000 },
  "24h": { spanMs: 24 * 3600_000, bucketMs: 15 * 60_000 },
};

export interface SeriesPoint {
  /** Bucket start, ms since epoch. */
  t: number;
  values: Record<string, number>;
}

export interface RunSeries {
  window: MonitoringWindow;
  bucketMs: number;
  from: number;
  to: number;
  /** Events per second that reached a flow, by event type. */
  eventsPerSecond: { series: string[]; points: SeriesPoint[] };
  /** Runs per flow by outcome over the window. */
  runsByFlow: { flowId: string; flowName: string | null; succeeded: number; failed: number; retried: number }[];
  /** Run duration percentiles per bucket, in ms. */
  durations: { t: number; p50: number | null; p99: number | null }[];
  totals: {
    events: number; runs: number; p50Ms: number | null; p99Ms: number | null;
    /** From JetStream storing the event to its run's start (runs recorded since publish times are). */
    publishToStart: { p50Ms: number | null; p99Ms: number | null };
  };
}

const FAILED = ["failed", "dead-lettered"];

async function computeRunSeries(db: Db, window: MonitoringWindow, now: number): Promise<RunSeries> {
  const { spanMs, bucketMs } = windowSpec[window];
  const to = Math.ceil(now / bucketMs) * bucketMs;
  const from = to - spanMs;
  const fromDate = new Date(from);
  const bucket = `${bucketMs / 1000} seconds`;
  const [events, flows, durations, totals] = await Promise.all([
    db.$queryRaw<{ t: Date; type: string; n: bigint }[]>`
      SELECT date_bin(${bucket}::interval, "startedAt", ${fromDate}::timestamp) AS t, "eventType" AS type, count(DISTINCT "eventId") AS n
      FROM "Run" WHERE "startedAt" >= ${fromDate}::timestamp AND NOT test GROUP BY 1, 2`,
    db.$queryRaw<{ flowId: string; succeeded: bigint; failed: bigint; retried: bigint }[]>`
      SELECT "flowId",
        count(*) FILTER (WHERE status IN ('succeeded', 'skipped')) AS succeeded,
        count(*) FILTER (WHERE status = ANY(${FAILED})) AS failed,
        count(*) FILTER (WHERE attempts > 1 OR status = 'retrying') AS retried
      FROM "Run" WHERE "startedAt" >= ${fromDate}::timestamp AND NOT test GROUP BY 1`,
    db.$queryRaw<{ t: Date; p50: number | null; p99: number | null }[]>`
      SELECT date_bin(${bucket}::interval, "startedAt", ${fromDate}::timestamp) AS t,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "finishedAt" - "startedAt") * 1000) AS p50,
        percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM "finishedAt" - "startedAt") * 1000) AS p99
      FROM "Run" WHERE "startedAt" >= ${fromDate}::timestamp AND NOT test AND "finishedAt" IS NOT NULL GROUP BY 1 ORDER BY 1`,
    db.$queryRaw<{ events: bigint; runs: bigint; p50: number | null; p99: number | null; wait50: number | null; wait99: number | null }[]>`
      SELECT count(DISTINCT "eventId") AS events, count(*) AS runs,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY greatest(0, extract(epoch FROM "startedAt" - "publishedAt")) * 1000) FILTER (WHERE "publishedAt" IS NOT NULL) AS wait50,
        percentile_cont(0.99) WITHIN GROUP (ORDER BY greatest(0, extract(epoch FROM "startedAt" - "publishedAt")) * 1000) FILTER (WHERE "publishedAt" IS NOT NULL) AS wait99,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "finishedAt" - "startedAt") * 1000) FILTER (WHERE "finishedAt" IS NOT NULL) AS p50,
        percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM "finishedAt" - "startedAt") * 1000) FILTER (WHERE "finishedAt" IS NOT NULL) AS p99
      FROM "Run" WHERE "startedAt" >= ${fromDate}::timestamp AND NOT test`,
  ]);
  const types = [...new Set(events.map((e) => e.type))].sort();
  const points: SeriesPoint[] = [];
  for (let t = from; t < to; t += bucketMs) points.push({ t, values: Object.fromEntries(types.map((type) => [type, 0])) });
  for (const row of events) {
    const point = points[Math.floor((row.t.getTime() - from) / bucketMs)];
    if (point) point.values[row.type] = Number(row.n) / (bucketMs / 1000);
  }
  const names = await flowNames(db, flows.map((f) => f.flowId));
  const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  const total = totals[0];
  return {
    window, bucketMs, from, to,
    eventsPerSecond: { series: types, points },
    runsByFlow: flows
      .map((f) => ({ flowId: f.flowId, flowName: names.get(f.flowId) ?? null, succeeded: Number(f.succeeded), failed: Number(f.failed), retried: Number(f.retried) }))
      .sort((a, b) => (a.flowName ?? a.flowId).localeCompare(b.flowName ?? b.flowId)),
    durations: durations.map((d) => ({ t: d.t.getTime(), p50: round(d.p50), p99: round(d.p99) })),
    totals: { events: Number(total?.events ?? 0), runs: Number(total?.runs ?? 0), p50Ms: round(total?.p50 ?? null), p99Ms: round(total?.p99 ?? null),
      publishToStart: { p50Ms: round(total?.wait50 ?? null), p99Ms: round(total?.wait99 ?? null) },
    },
  };
}

/** How long a computed window is reused: several dashboards refreshing cost one query. */
const SERIES_CACHE_MS = 5_000;
const cache = new Map<string, { at: number; value: Promise<RunSeries> }>();

export function runSeries(db: Db, window: MonitoringWindow, now = Date.now()): Promise<RunSeries> {
  const hit = cache.get(window);
  if (hit && now - hit.at < SERIES_CACHE_MS) return hit.value;
  const value = computeRunSeries(db, window, now);
  cache.set(window, { at: now, value });
  value.catch(() => cache.delete(window));
  return value;
}

/** Tests read the database they just wrote. */
export function uncachedRunSeries(db: Db, window: MonitoringWindow, now = Date.now()) {
  return computeRunSeries(db, window, now);
}
