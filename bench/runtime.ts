// Runtime figures (the README's "Performance" section): throughput of the JetStream runtime with order, dedup and run
// history on, against raw JetStream measured in the same run on the same server; publish → first
// action latency at a fixed offered rate; worker memory under load.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../server/nats/connection";
import type { PrismaClient } from "../server/db/generated/client";
import { createFlow, publishFlow, setFlowEnabled } from "../server/flows/flow-store";
import type { FlowDocument } from "../server/flows/flow-document";
import { eventSubject, eventsStreamName, type StreamLayout } from "../server/runtime/stream-layout";
import { memoryEnv, nodeArgs } from "../scripts/child-memory";
import { cpuMsOfCommand } from "./process-memory";

const ACK_BATCH = 2_000;

export interface RawFigures { publishPerSec: number; consumePerSec: number; pipelinePerSec: number; messages: number }
export interface RuntimeFigures {
  events: number;
  keys: number;
  eventsPerSec: number;
  ratioToRawPipeline: number;
  latency: {
    offeredPerSec: number; events: number; p50Ms: number; p99Ms: number; maxMs: number;
    /** Worker CPU per event while it runs at the offered rate: a batch's fixed cost, as batches are small at this rate. */
    workerCpuMsPerEvent?: number;
  };
  workerRssMb: {
    start: number; max: number; end: number; samples: number; soakSeconds: number; timeline: number[];
    /** RSS at the start and end of the sustained-load phase, and its least-squares slope over that phase. */
    soakStart: number; soakEnd: number; slopeMbPerMin: number;
    /**
     * Events published but not yet committed by the worker, every 10 s of the soak: its
     * partitions' messages not yet delivered or not yet acked. A worker that keeps up holds a few
     * hundred; one that falls behind holds up to what its partitions buffer, and its RSS shows it.
     */
    soakBacklog: number[];
  };
  /** What one event of the throughput phase cost (docs/capacity-plan.md). */
  perEvent: {
    workerCpuMs: number;
    /** CPU of the machine's Postgres and NATS server (0 when they run elsewhere) and of the bench's publisher, per event. */
    postgresCpuMs: number; natsCpuMs: number; publisherCpuMs: number;
    runRowBytes: number; processedRowBytes: number; natsBytes: number;
  };
}

/** CPU time (user + system) a process has used, in ms. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export async function publishAll(js: JetStreamClient, items: { subject: string; body: string; id: string; traceparent?: string }[]) {
  for (let i = 0; i < items.length; i += ACK_BATCH) {
    await Promise.all(
      items.slice(i, i + ACK_BATCH).map((item) => {
        const h = natsHeaders();
        if (item.traceparent) h.set("traceparent", item.traceparent);
        return js.publish(item.subject, item.body, { msgID: item.id, headers: h });
      }),
    );
  }
}

const RAW_PAYLOAD = JSON.stringify({ specversion: "1.0", source: "bench", type: "stock.changed", subject: "SKU-1", data: { sku: "SKU-1", quantity: 1 } });
const rawItems = (prefix: string, tag: string, messages: number) =>
  Array.from({ length: messages }, (_, i) => ({ subject: `${prefix}.raw.${i % 16}`, body: RAW_PAYLOAD, id: `${tag}-${i}` }));

/** The raw stream (`<prefix>_raw`, subjects `<prefix>.raw.>`) for the duration of `fn`. */
async function withRawStream<T>(jsm: JetStreamManager, prefix: string, fn: (stream: string) => Promise<T>): Promise<T> {
  const stream = `${prefix}_raw`;
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.raw.>`], duplicate_window: 120_000_000_000 });
  try {
    return await fn(stream);
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
  }
}

/** A durable pull consumer on `stream` that acks `count` messages. */
async function consumeAll(js: JetStreamClient, jsm: JetStreamManager, stream: string, durable: string, count: number) {
  await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_ack_pending: 20_000 });
  const consumer = await js.consumers.get(stream, durable);
  const messagesIter = await consumer.consume({ max_messages: 2_000 });
  let seen = 0;
  for await (const m of messagesIter) {
    m.ack();
    if (++seen >= count) break;
  }
  await messagesIter.close();
}

/** Raw JetStream publish (msgID) and a durable pull consumer + ack at the same time, in msg/s: the runtime's baseline. */
export function rawPipeline(js: JetStreamClient, jsm: JetStreamManager, prefix: string, messages: number): Promise<number> {
  return withRawStream(jsm, prefix, async (stream) => {
    const started = performance.now();
    await Promise.all([publishAll(js, rawItems(prefix, "p", messages)), consumeAll(js, jsm, stream, "pipeline", messages)]);
    return Math.round(messages / ((performance.now() - started) / 1000));
  });
}

/** Raw JetStream on the same server: publish with msgID, durable pull consume + ack, and both at once. */
async function measureRawJetStream(nc: NatsConnection, prefix: string, messages = 50_000): Promise<RawFigures> {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const { publishSec, consumeSec } = await withRawStream(jsm, prefix, async (stream) => {
    let t = performance.now();
    await publishAll(js, rawItems(prefix, "a", messages));
    const publishSec = (performance.now() - t) / 1000;
    t = performance.now();
    await consumeAll(js, jsm, stream, "c1", messages);
    return { publishSec, consumeSec: (performance.now() - t) / 1000 };
  });
  return {
    messages,
    publishPerSec: Math.round(messages / publishSec),
    consumePerSec: Math.round(messages / consumeSec),
    pipelinePerSec: await rawPipeline(js, jsm, prefix, messages),
  };
}

/** A worker as `npm start` runs it (its memory settings: scripts/child-memory.ts), once it has started. */
export function startWorker(url: string, natsUrl: string, prefix: string, partitions: number): Promise<ChildProcess> {
  // BENCH_WORKER_NODE_ARGS: node flags for profiling the workers (bench/run.ts).
  const profiling = (process.env.BENCH_WORKER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const worker = spawn(process.execPath, [...nodeArgs("worker"), ...profiling, "--conditions=react-server", "scripts/run-worker.mjs"], {
    env: { ...memoryEnv(process.env), DATABASE_URL: url, NATS_URL: natsUrl, SYNCLINE_PREFIX: prefix, SYNCLINE_PARTITIONS: String(partitions) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (c: Buffer) => {
      out += c.toString();
      if (out.includes(" started; partitions")) {
        worker.stdout!.off("data", onData);
        worker.stdout!.resume();
        worker.off("exit", onExit);
        resolve(worker);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`a bench worker exited (${code}) before it started: ${out}`));
    worker.stdout!.on("data", onData);
    worker.once("exit", onExit);
  });
}

export async function stopWorker(worker: ChildProcess) {
  if (worker.exitCode !== null || worker.signalCode !== null) return;
  const exited = new Promise((r) => worker.once("exit", r));
  worker.kill("SIGTERM");
  await exited;
}

/**
 * the README's "Performance" section's throughput workload is a 1-node flow (the trigger); the latency figure needs an action
 * after it, so that flow listens to its own event type and adds a transform.
 */
export function benchFlows(): FlowDocument[] {
  return [
    {
      schemaVersion: 1,
      name: "Bench: 1-node flow",
      nodes: [{ id: "trigger", kind: "trigger:stock.changed", version: 1, config: {}, position: { x: 0, y: 0 } }],
      edges: [],
      settings: { orderingPolicy: "hold" },
    },
    {
      schemaVersion: 1,
      name: "Bench: price → transform (latency)",
      nodes: [
        { id: "trigger", kind: "trigger:price.changed", version: 1, config: {}, position: { x: 0, y: 0 } },
        { id: "act", kind: "action:transform", version: 1, config: { fields: '{"sku": event.data.sku, "price": event.data.price}' }, position: { x: 300, y: 0 } },
      ],
      edges: [{ id: "e1", source: "trigger", target: "act", sourceHandle: "out" }],
      settings: { orderingPolicy: "hold" },
    },
  ];
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

/**
 * Waits until `count` runs exist. Counting the Run table scans it (~7 ms of Postgres CPU at 50,000
 * rows, on the cores the runtime under test runs on), so it is not looked at every 25 ms: the next
 * look is due when half of the runs still missing should have arrived at the rate seen since the
 * last one (25 ms to 1 s). About ten looks per wait, and the end is seen within 25 ms.
 */
export async function waitForRuns(db: PrismaClient, count: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last: { runs: number; at: number } | undefined;
  for (;;) {
    const [row] = await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM "Run"`;
    const runs = Number(row?.n ?? 0);
    const at = performance.now();
    if (runs >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${runs} of ${count} runs recorded after ${timeoutMs} ms`);
    const perMs = last && runs > last.runs ? (runs - last.runs) / (at - last.at) : 0;
    last = { runs, at };
    const wait = perMs > 0 ? Math.min(1_000, Math.max(25, (count - runs) / perMs / 2)) : 100;
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** Messages of `stream` its consumers (the worker's partitions) have not yet had delivered, or not yet acked. */
async function backlogOf(jsm: JetStreamManager, stream: string): Promise<number> {
  let backlog = 0;
  for (const consumer of await jsm.consumers.list(stream).next()) backlog += consumer.num_pending + consumer.num_ack_pending;
  return backlog;
}

/** Least-squares slope of samples taken once a second, in units per minute. */
function slopePerMinute(samples: number[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = samples.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  samples.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return Math.round((num / den) * 60 * 10) / 10;
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export type LatencyFigures = RuntimeFigures["latency"];

/**
 * Warm-up, not measured: a just-started worker compiles its hot path and starts its expression
 * threads on the first events. Its events carry no publishedAt, so their runs drop out of
 * measureLatency's figure. Waits until `count` runs exist.
 */
export async function warmUp(opts: { js: JetStreamClient; db: PrismaClient; layout: StreamLayout; prefix: string; keys: number; count: number }) {
  await publishAll(opts.js, Array.from({ length: opts.count }, (_, i) => {
    const sku = `SKU-${i % opts.keys}`;
    const event = { specversion: "1.0", id: `${opts.prefix}-w${i}`, source: "bench", type: "price.changed", subject: sku, data: { sku, price: 10, currency: "EUR" } };
    return { subject: eventSubject(opts.layout, sku, "price.changed"), body: JSON.stringify(event), id: event.id };
  }));
  await waitForRuns(opts.db, opts.count, 120_000);
}

/**
 * Publish → first action latency at a fixed offered rate, 1,000 events/s in 10 ms ticks, on the
 * latency flow of benchFlows() (price.changed → transform "act"): each event carries the time it
 * was published, the run records when "act" started. Waits until `runsBefore + count` runs exist.
 */
export async function measureLatency(opts: { js: JetStreamClient; db: PrismaClient; layout: StreamLayout; prefix: string; count: number; keys: number; runsBefore: number }): Promise<LatencyFigures> {
  const tickMs = 10;
  const perTick = 10;
  const t0 = performance.now();
  for (let sent = 0; sent < opts.count; sent += perTick) {
    const wait = t0 + (sent / perTick) * tickMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const batch = [];
    for (let k = 0; k < perTick; k++) {
      const i = sent + k;
      const sku = `SKU-${i % opts.keys}`;
      const event = { specversion: "1.0", id: `${opts.prefix}-${i}`, source: "bench", type: "price.changed", subject: sku, data: { sku, price: 10 + (i % 90), currency: "EUR" }, publishedAt: Date.now() };
      batch.push(opts.js.publish(eventSubject(opts.layout, sku, "price.changed"), JSON.stringify(event), { msgID: event.id }));
    }
    await Promise.all(batch);
  }
  await waitForRuns(opts.db, opts.runsBefore + opts.count, 120_000);
  // Runs of events without publishedAt (a warm-up) are not part of the figure.
  const rows = await opts.db.$queryRaw<{ published: string; started: string }[]>`
    SELECT (steps -> 0 -> 'output' ->> 'publishedAt') AS published,
           (SELECT s ->> 'startedAt' FROM jsonb_array_elements(steps) s WHERE s ->> 'nodeId' = 'act') AS started
    FROM "Run" WHERE "eventType" = 'price.changed' AND steps -> 0 -> 'output' ? 'publishedAt'`;
  const series = rows.map((r) => ({ published: Number(r.published), ms: Date.parse(r.started) - Number(r.published) })).filter((p) => Number.isFinite(p.ms));
  // BENCH_LATENCY_OUT=file: each event's (ms since the first publish, latency ms), in publish order,
  // to see whether the tail is the start, a periodic stall or spread out.
  if (process.env.BENCH_LATENCY_OUT) {
    const first = Math.min(...series.map((p) => p.published));
    const lines = series.sort((a, b) => a.published - b.published).map((p) => `${p.published - first} ${p.ms}`);
    writeFileSync(process.env.BENCH_LATENCY_OUT, `${lines.join("\n")}\n`);
  }
  const latencies = series.map((p) => p.ms).sort((a, b) => a - b);
  return {
    offeredPerSec: 1000,
    events: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? 0,
  };
}

export async function measureRuntime(opts: {
  db: PrismaClient;
  databaseUrl: string;
  natsUrl: string;
  events?: number;
  keys?: number;
  latencyEvents?: number;
  soakSeconds?: number;
}): Promise<{ runtime: RuntimeFigures; raw: RawFigures }> {
  const events = opts.events ?? 50_000;
  const keys = opts.keys ?? 1_000;
  const prefix = `bench${randomUUID().replace(/-/g, "").slice(0, 8)}`;
  const layout: StreamLayout = { prefix, partitions: 16, duplicateWindowMs: 120_000 };
  const nc = await connectNats(opts.natsUrl, { name: `${prefix}-bench` });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  let worker: ChildProcess | undefined;
  try {
    const raw = await measureRawJetStream(nc, prefix, events);

    for (const document of benchFlows()) {
      const { id } = await createFlow(opts.db, document);
      await publishFlow(opts.db, id);
      await setFlowEnabled(opts.db, id, true);
    }

    worker = await startWorker(opts.databaseUrl, opts.natsUrl, prefix, 16);
    const pid = worker.pid!;
    if (process.env.BENCH_WORKER_NODE_ARGS) console.log(`bench worker pid ${pid} (${process.env.BENCH_WORKER_NODE_ARGS})`);
    const rss: number[] = [rssMb(pid)];
    const sampler = setInterval(() => {
      // A worker that exited is reported by the phase waiting on it, not by this timer.
      if (worker!.exitCode === null && worker!.signalCode === null) rss.push(rssMb(pid));
    }, 1_000);
    worker.once("exit", (code, signal) => console.error(`[bench/runtime] the worker exited (${signal ?? `code ${code}`})`));

    const makeEvent = (i: number, extra: Record<string, unknown> = {}) => {
      const sku = `SKU-${i % keys}`;
      const event = { specversion: "1.0", id: `${prefix}-t${i}`, source: "bench", type: "stock.changed", subject: sku, time: new Date().toISOString(), data: { sku, quantity: Math.floor(i / keys), ...extra } };
      return { subject: eventSubject(layout, sku, "stock.changed"), body: JSON.stringify(event), id: event.id };
    };

    // Warm-up, then latency at a fixed offered rate, then throughput.
    const warmup = 1_000;
    await warmUp({ js, db: opts.db, layout, prefix, keys, count: warmup });
    const latencyEvents = opts.latencyEvents ?? 10_000;
    const latencyCpuBefore = cpuMs(pid);
    const latency = await measureLatency({ js, db: opts.db, layout, prefix, count: latencyEvents, keys, runsBefore: warmup });
    latency.workerCpuMsPerEvent = Math.round(((cpuMs(pid) - latencyCpuBefore) / latencyEvents) * 1000) / 1000;

    // Throughput: publish everything while the worker runs; until every run is recorded.
    const cpuBefore = cpuMs(pid);
    // The rest of the machine's two cores in the same window: Postgres (server and backends),
    // the NATS server (when they run on this machine) and this process, the publisher.
    const othersBefore = { postgres: cpuMsOfCommand("postgres"), nats: cpuMsOfCommand("nats-server"), bench: process.cpuUsage() };
    const started = performance.now();
    await publishAll(js, Array.from({ length: events }, (_, i) => makeEvent(i)));
    await waitForRuns(opts.db, warmup + latencyEvents + events, 300_000);
    const eventsPerSec = Math.round(events / ((performance.now() - started) / 1000));
    const workerCpuMs = (cpuMs(pid) - cpuBefore) / events;
    const benchCpu = process.cpuUsage(othersBefore.bench);
    const perEventMs = (ms: number) => Math.round((ms / events) * 1000) / 1000;
    const [sizes] = await opts.db.$queryRaw<{ run: bigint; runs: bigint; processed: bigint; processedRows: bigint }[]>`
      SELECT pg_total_relation_size('"Run"') AS run, (SELECT count(*) FROM "Run") AS runs,
             pg_total_relation_size('"ProcessedEvent"') AS processed, (SELECT count(*) FROM "ProcessedEvent") AS "processedRows"`;
    const streamState = (await jsm.streams.info(eventsStreamName(layout))).state;
    const perEvent = {
      workerCpuMs: Math.round(workerCpuMs * 1000) / 1000,
      postgresCpuMs: perEventMs(cpuMsOfCommand("postgres") - othersBefore.postgres),
      natsCpuMs: perEventMs(cpuMsOfCommand("nats-server") - othersBefore.nats),
      publisherCpuMs: perEventMs((benchCpu.user + benchCpu.system) / 1000),
      runRowBytes: Math.round(Number(sizes!.run) / Number(sizes!.runs)),
      processedRowBytes: Math.round(Number(sizes!.processed) / Number(sizes!.processedRows)),
      natsBytes: Math.round(streamState.bytes / streamState.messages),
    };

    // Sustained load for the memory figure (BENCH_SOAK_SECONDS=600 for the 10-minute soak).
    const soakSeconds = opts.soakSeconds ?? 30;
    const soakEnd = performance.now() + soakSeconds * 1000;
    const soakFrom = rss.length;
    let i = events;
    const soakBacklog: number[] = [];
    for (let tick = 0; performance.now() < soakEnd; tick++) {
      const tickStart = performance.now();
      if (tick % 10 === 0) soakBacklog.push(await backlogOf(jsm, eventsStreamName(layout)));
      await publishAll(js, Array.from({ length: 2_000 }, () => makeEvent(i++)));
      const wait = 1000 - (performance.now() - tickStart);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await waitForRuns(opts.db, warmup + latencyEvents + i, 300_000);
    clearInterval(sampler);
    rss.push(rssMb(pid));
    const soak = rss.slice(soakFrom);

    return {
      raw,
      runtime: {
        events,
        keys,
        eventsPerSec,
        ratioToRawPipeline: Math.round((eventsPerSec / raw.pipelinePerSec) * 100) / 100,
        latency,
        workerRssMb: {
          start: rss[0]!, max: Math.max(...rss), end: rss[rss.length - 1]!, samples: rss.length, soakSeconds, timeline: rss,
          soakStart: soak[0] ?? rss[rss.length - 1]!, soakEnd: soak[soak.length - 1] ?? rss[rss.length - 1]!, slopeMbPerMin: slopePerMinute(soak),
          soakBacklog,
        },
        perEvent,
      },
    };
  } finally {
    if (worker) await stopWorker(worker);
    // The events stream and whatever else the worker made under the prefix (its test-runs stream).
    for await (const stream of jsm.streams.list()) {
      if (stream.config.name === eventsStreamName(layout) || stream.config.name.startsWith(`${prefix}_`)) {
        await jsm.streams.delete(stream.config.name).catch(() => undefined);
      }
    }
    await nc.close();
  }
}
