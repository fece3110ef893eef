// Scale-out figures (issue #13 §2, docs/capacity-plan.md "How throughput grows"): the runtime's throughput and
// publish → first action latency with 1, 2 and 3 worker processes on 16 partitions, and with 8, 16 and 64
// partitions on one worker. Every configuration gets its own database (a copy of a migrated template that
// holds the bench flows), its own stream prefix, and a raw JetStream publish + consume baseline measured just
// before it, so a figure taken while the machine is busy can still be compared through its ratio. Workers are
// started as operators start them (scripts/run-worker.mjs with SYNCLINE_PREFIX / SYNCLINE_PARTITIONS), and
// nothing is published until the partitions are shared out: every partition leased, every worker holding at
// most its fair share (server/runtime/worker.ts) and reporting in its heartbeat exactly what it leases (which
// it does only once those partitions' consumers have started).
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import pg from "pg";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectNats } from "../server/nats/connection";
import { createPrismaClient } from "../server/db/create-client";
import { createFlow, publishFlow, setFlowEnabled } from "../server/flows/flow-store";
import { eventSubject, eventsStreamName, type StreamLayout } from "../server/runtime/stream-layout";
import { benchFlows, cpuMs, measureLatency, warmUp, publishAll, rawPipeline, startWorker, stopWorker, waitForRuns, type LatencyFigures } from "./runtime";

export interface ScaleConfig { workers: number; partitions: number }

export interface ScaleFigures {
  workers: number;
  partitions: number;
  events: number;
  keys: number;
  /**
   * Raw JetStream publish + consume at once on the same server (half the events each time), measured just before and just after this
   * configuration (the mean of the two is the baseline: the machine's load drifts while a configuration runs).
   */
  rawPipelinePerSec: number;
  rawPipelineBeforeAfter: [number, number];
  eventsPerSec: number;
  ratioToRawPipeline: number;
  latency: LatencyFigures;
  /** Partitions each worker leased while the events ran, largest first. */
  partitionsPerWorker: number[];
  /** From starting the workers to every partition leased and the shares even. */
  shareOutMs: number;
  /** CPU of all workers together during the throughput phase, per event. */
  workerCpuMsPerEvent: number;
  /** The whole configuration, database copy to clean-up. */
  tookMs: number;
  /** The machine's 1-minute load average at the start and the end (2 cores: above 2 means others were busy too). */
  loadAverage: [number, number];
}

/**
 * 1 worker × 16 partitions first and again last: the mean of the two is the reference every other row is
 * compared with, and their difference shows how much the machine's load moved during the phase.
 */
export const defaultScaleConfigs: ScaleConfig[] = [
  { workers: 1, partitions: 16 },
  { workers: 2, partitions: 16 },
  { workers: 3, partitions: 16 },
  { workers: 1, partitions: 8 },
  { workers: 1, partitions: 64 },
  { workers: 1, partitions: 16 },
];

async function admin(adminUrl: string, sql: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try { await client.query(sql); } finally { await client.end(); }
}

function databaseUrl(adminUrl: string, name: string) {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Waits until the partitions are shared out: all leased, `workers` owners each holding at most
 * ceil(partitions / workers), and each owner's last heartbeat naming exactly the partitions it leases.
 * Returns the partitions per worker, largest first.
 */
async function waitForShares(pool: pg.Pool, workers: number, partitions: number, timeoutMs: number): Promise<number[]> {
  const share = Math.ceil(partitions / workers);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query<{ owner: string; leased: number[]; reported: number[] | null }>(`
      SELECT p.owner, array_agg(p."partition" ORDER BY p."partition") AS leased,
             (SELECT array(SELECT unnest(w.partitions) ORDER BY 1) FROM "Worker" w WHERE w.id = p.owner) AS reported
      FROM "Partition" p
      WHERE p."partition" < $1 AND p.owner IS NOT NULL AND p."leaseUntil" > now()
      GROUP BY p.owner`, [partitions]);
    const counts = rows.map((r) => r.leased.length).sort((a, b) => b - a);
    const leased = counts.reduce((a, b) => a + b, 0);
    const settled = rows.every((r) => r.reported !== null && r.reported.join(",") === r.leased.join(","));
    if (leased === partitions && rows.length === workers && counts[0]! <= share && settled) return counts;
    if (Date.now() > deadline) {
      throw new Error(`the partitions were not shared out after ${timeoutMs} ms: ${leased} of ${partitions} leased, per worker ${counts.join("/")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function measureConfig(opts: {
  adminUrl: string; template: string; natsUrl: string; config: ScaleConfig; events: number; latencyEvents: number; keys: number;
}): Promise<ScaleFigures> {
  const { workers: workerCount, partitions } = opts.config;
  const tag = randomUUID().replace(/-/g, "").slice(0, 8);
  const prefix = `benchsc${tag}`;
  const name = `syncline_bench_sc_${tag}`;
  const layout: StreamLayout = { prefix, partitions, duplicateWindowMs: 120_000 };
  await admin(opts.adminUrl, `CREATE DATABASE ${name} TEMPLATE ${opts.template}`);
  const url = databaseUrl(opts.adminUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const nc = await connectNats(opts.natsUrl, { name: `${prefix}-bench` });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const workers: ChildProcess[] = [];
  try {
    const loadBefore = loadavg()[0]!;
    const rawBefore = await rawPipeline(js, jsm, `${prefix}a`, Math.ceil(opts.events / 2));

    const spawnedAt = performance.now();
    const starting = Array.from({ length: workerCount }, () => startWorker(url, opts.natsUrl, prefix, partitions));
    // Keep every started worker, even if another one failed, so that all are stopped below.
    const settledStarts = await Promise.allSettled(starting);
    for (const s of settledStarts) if (s.status === "fulfilled") workers.push(s.value);
    const failed = settledStarts.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => console.error(`[bench/scale-out] a worker exited (${signal ?? `code ${code}`})`);
    for (const w of workers) w.once("exit", onExit);
    const partitionsPerWorker = await waitForShares(pool, workerCount, partitions, 60_000);
    const shareOutMs = Math.round(performance.now() - spawnedAt);

    const db = createPrismaClient(url);
    try {
      const warmup = 1_000;
      await warmUp({ js, db, layout, prefix, keys: opts.keys, count: warmup });

      // Latency at a fixed offered rate, as bench/runtime.ts measures it.
      const latency = await measureLatency({ js, db, layout, prefix, count: opts.latencyEvents, keys: opts.keys, runsBefore: warmup });

      // Throughput: publish everything at once; until every run is recorded.
      const pids = workers.map((w) => w.pid!);
      const cpuBefore = pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
      const started = performance.now();
      await publishAll(js, Array.from({ length: opts.events }, (_, i) => {
        const sku = `SKU-${i % opts.keys}`;
        const event = { specversion: "1.0", id: `${prefix}-t${i}`, source: "bench", type: "stock.changed", subject: sku, time: new Date().toISOString(), data: { sku, quantity: Math.floor(i / opts.keys) } };
        return { subject: eventSubject(layout, sku, "stock.changed"), body: JSON.stringify(event), id: event.id };
      }));
      await waitForRuns(db, warmup + opts.latencyEvents + opts.events, 300_000);
      const eventsPerSec = Math.round(opts.events / ((performance.now() - started) / 1000));
      const cpuAfter = pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
      // The shares must not have moved while the events ran (a worker that lost partitions would show here).
      const sharesAfter = await waitForShares(pool, workerCount, partitions, 5_000);
      if (sharesAfter.join("/") !== partitionsPerWorker.join("/")) {
        console.warn(`[bench/scale-out] the shares moved during the run: ${partitionsPerWorker.join("/")} → ${sharesAfter.join("/")}`);
      }
      const rawAfter = await rawPipeline(js, jsm, `${prefix}b`, Math.ceil(opts.events / 2));
      const rawPipelinePerSec = Math.round((rawBefore + rawAfter) / 2);
      return {
        workers: workerCount,
        partitions,
        events: opts.events,
        keys: opts.keys,
        rawPipelinePerSec,
        rawPipelineBeforeAfter: [rawBefore, rawAfter],
        eventsPerSec,
        ratioToRawPipeline: Math.round((eventsPerSec / rawPipelinePerSec) * 100) / 100,
        latency,
        partitionsPerWorker,
        shareOutMs,
        workerCpuMsPerEvent: Math.round(((cpuAfter - cpuBefore) / opts.events) * 1000) / 1000,
        tookMs: 0,
        loadAverage: [loadBefore, loadavg()[0]!],
      };
    } finally {
      await db.$disconnect();
    }
  } finally {
    for (const w of workers) w.removeAllListeners("exit");
    await Promise.all(workers.map(stopWorker));
    // The events stream and whatever else the workers made under the prefix (the test-runs stream).
    for await (const stream of jsm.streams.list()) {
      if (stream.config.name === eventsStreamName(layout) || stream.config.name.startsWith(`${prefix}_`)) {
        await jsm.streams.delete(stream.config.name).catch(() => undefined);
      }
    }
    await nc.close();
    await pool.end();
    await admin(opts.adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

/**
 * Runs every configuration in turn. `templateUrl` is a migrated, otherwise empty database (bench/run.ts
 * creates and drops it); the bench flows are added to it here and each configuration runs on a copy.
 */
export async function measureScaleOut(opts: {
  adminUrl: string;
  templateUrl: string;
  natsUrl: string;
  configs?: ScaleConfig[];
  events?: number;
  latencyEvents?: number;
  keys?: number;
  onConfig?: (figures: ScaleFigures) => void;
}): Promise<ScaleFigures[]> {
  const db = createPrismaClient(opts.templateUrl);
  try {
    for (const document of benchFlows()) {
      const { id } = await createFlow(db, document);
      await publishFlow(db, id);
      await setFlowEnabled(db, id, true);
    }
  } finally {
    await db.$disconnect();
  }
  const template = new URL(opts.templateUrl).pathname.slice(1);
  // CREATE DATABASE … TEMPLATE needs the template without sessions.
  const terminate = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${template}' AND pid <> pg_backend_pid()`;
  await admin(opts.adminUrl, terminate);
  const figures: ScaleFigures[] = [];
  for (const config of opts.configs ?? defaultScaleConfigs) {
    const began = performance.now();
    const f = await measureConfig({
      adminUrl: opts.adminUrl, template, natsUrl: opts.natsUrl, config,
      events: opts.events ?? 20_000, latencyEvents: opts.latencyEvents ?? 3_000, keys: opts.keys ?? 1_000,
    });
    f.tookMs = Math.round(performance.now() - began);
    opts.onConfig?.(f);
    figures.push(f);
  }
  return figures;
}
