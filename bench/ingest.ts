// HTTP ingest figures (target: ≥ 5,000 events/s as single-event requests, ≥ 30,000 events/s
// batched): POST /api/events against the real app, which answers 202 only after JetStream stored
// every event. Loopback only; the load generator shares the machine with the app, so it is kept
// cheap: node:http with a keep-alive agent. Measured on the 2-core reference machine against
// node's fetch (undici, default keep-alive dispatcher) at the same concurrency: fetch spent 0.8–1.0
// ms of client CPU per single-event request against 0.1–0.2 ms for node:http, and the app got
// 30–40% fewer single-event requests/s through (batches: no clear difference).
import http from "node:http";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { cpuMsOf } from "./process-memory";

export interface IngestOptions {
  /** Single-event requests measured (default 20,000). */
  singleRequests?: number;
  /** Requests in flight for the single-event phase (default 64). */
  concurrency?: number;
  /** Events sent in batches (default 200,000), i.e. `batches / batchSize` requests. */
  batches?: number;
  /** Events per batch request (default 500). */
  batchSize?: number;
  /**
   * Each phase stops sending after this many seconds even when its count is not reached (default
   * 30), so a slow app cannot stretch the bench; the rates are over what was sent.
   */
  maxSeconds?: number;
  /** Told when the measured phases start and end (the bench reads the app's CPU time there). */
  onPhase?: (phase: "single" | "batched" | "done") => void;
}

export interface IngestFigures {
  /** Accepted events per second, one event per request. */
  singleEventsPerSec: number;
  /** Accepted events per second, `application/cloudevents-batch+json`. */
  batchedEventsPerSec: number;
  /** Latency of the single-event requests (send → full response read). */
  singleP50Ms: number;
  singleP99Ms: number;
  /** Measured requests (both phases, warm-up excluded). */
  requests: number;
  /** Measured requests that were not answered 202 (a 503 means NATS was down), or failed outright. */
  errors: number;
  /** Measured single-event requests and batched events sent. */
  singleSent: number;
  batchedSent: number;
  /** The bare baseline only: its server's CPU time per event in each phase (ms). */
  serverCpuMsPerEvent?: { single: number; batched: number };
}

const BATCH_CONCURRENCY = 8;
const SUBJECTS = 1_000;

interface Answer {
  status: number;
  ms: number;
  /** Start of the body when the status was not 202. */
  detail?: string;
}

/** A POST client for one endpoint over a keep-alive pool of `sockets` connections. */
function poster(baseUrl: string, apiKey: string, sockets: number) {
  const url = new URL("/api/events", baseUrl);
  if (url.protocol !== "http:") throw new Error(`bench/ingest speaks plain HTTP to a local app, not ${url.protocol}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  const authorization = `Bearer ${apiKey}`;
  const post = (body: Buffer, contentType: string) =>
    new Promise<Answer>((resolve) => {
      const started = performance.now();
      const req = http.request(
        {
          host: url.hostname,
          port: url.port || 80,
          path: url.pathname,
          method: "POST",
          agent,
          headers: { "content-type": contentType, "content-length": body.byteLength, authorization },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          let detail = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            if (status !== 202 && detail.length < 500) detail += chunk;
          });
          res.on("end", () => resolve({ status, ms: performance.now() - started, ...(status !== 202 ? { detail: detail.slice(0, 500) } : {}) }));
          res.on("error", (error) => resolve({ status: 0, ms: performance.now() - started, detail: error.message }));
        },
      );
      req.on("error", (error) => resolve({ status: 0, ms: performance.now() - started, detail: error.message }));
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}

/** Runs up to `count` tasks with at most `concurrency` in flight, none started after `deadline`. Returns how many ran. */
async function pool(count: number, concurrency: number, task: (index: number) => Promise<void>, deadline = Infinity): Promise<number> {
  let next = 0;
  const lane = async () => {
    while (next < count && performance.now() < deadline) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return next;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (n: number, digits = 1) => Number(n.toFixed(digits));

export async function measureIngest(baseUrl: string, apiKey: string, opts: IngestOptions = {}): Promise<IngestFigures> {
  const singleRequests = opts.singleRequests ?? 20_000;
  const concurrency = opts.concurrency ?? 64;
  const batchSize = opts.batchSize ?? 500;
  const batchedEvents = opts.batches ?? 200_000;
  const batchRequests = Math.ceil(batchedEvents / batchSize);
  const maxMs = (opts.maxSeconds ?? 30) * 1000;

  // Ids unique per measurement, so a re-run inside JetStream's duplicate window is not answered
  // "duplicate" from the dedup table instead of being stored.
  const run = randomBytes(6).toString("hex");
  let seq = 0;
  const event = () => {
    const n = seq++;
    const sku = `SKU-${String(n % SUBJECTS).padStart(4, "0")}`;
    return {
      specversion: "1.0",
      id: `bench-${run}-${n}`,
      source: "/bench/ingest",
      type: "stock.changed",
      subject: sku,
      data: { sku, quantity: (n * 7919) % 500 },
    };
  };
  const single = () => Buffer.from(JSON.stringify(event()));
  const batch = (size: number) => Buffer.from(JSON.stringify(Array.from({ length: size }, event)));

  const client = poster(baseUrl, apiKey, Math.max(concurrency, BATCH_CONCURRENCY));
  const failures = new Map<string, number>();
  const fail = (a: Answer) => {
    const key = `${a.status} ${a.detail ?? ""}`.slice(0, 300);
    failures.set(key, (failures.get(key) ?? 0) + 1);
  };
  try {
    // Warm-up: JIT on both sides, the route compiled and the events stream ensured, every
    // keep-alive connection opened. Its requests are not counted.
    const warm = await client.post(single(), "application/cloudevents+json");
    if (warm.status !== 202) throw new Error(`POST /api/events answered ${warm.status}: ${warm.detail}`);
    await pool(Math.max(concurrency * 8, 500), concurrency, async () => {
      await client.post(single(), "application/cloudevents+json");
    });
    await pool(BATCH_CONCURRENCY * 2, BATCH_CONCURRENCY, async () => {
      await client.post(batch(batchSize), "application/cloudevents-batch+json");
    });

    // Single events. Bodies are built inside the loop: ~200 bytes of JSON is cheaper than the
    // memory of 20,000 prebuilt buffers, and it is the same for every client anyway.
    const latencies = new Float64Array(singleRequests);
    let singleOk = 0;
    let errors = 0;
    opts.onPhase?.("single");
    const singleStart = performance.now();
    const singleSent = await pool(singleRequests, concurrency, async (i) => {
      const answer = await client.post(single(), "application/cloudevents+json");
      latencies[i] = answer.ms;
      if (answer.status === 202) singleOk++;
      else {
        errors++;
        fail(answer);
      }
    }, singleStart + maxMs);
    const singleSeconds = (performance.now() - singleStart) / 1000;

    // Batches. Encoding 500 events takes the client well under a millisecond, against the tens
    // of milliseconds the app needs per batch, so they are built as they go, like single events.
    const sizeOf = (i: number) => Math.min(batchSize, batchedEvents - i * batchSize);
    let batchedOk = 0;
    opts.onPhase?.("batched");
    const batchStart = performance.now();
    const batchSent = await pool(batchRequests, BATCH_CONCURRENCY, async (i) => {
      const body = batch(sizeOf(i));
      const answer = await client.post(body, "application/cloudevents-batch+json");
      if (answer.status === 202) batchedOk += sizeOf(i);
      else {
        errors++;
        fail(answer);
      }
    }, batchStart + maxMs);
    const batchSeconds = (performance.now() - batchStart) / 1000;
    opts.onPhase?.("done");

    if (failures.size > 0) {
      for (const [what, count] of failures) console.error(`[bench/ingest] ${count}× ${what}`);
    }
    const measured = latencies.subarray(0, singleSent).sort();
    return {
      singleEventsPerSec: Math.round(singleOk / singleSeconds),
      batchedEventsPerSec: Math.round(batchedOk / batchSeconds),
      singleP50Ms: round(percentile(measured, 50)),
      singleP99Ms: round(percentile(measured, 99)),
      requests: singleSent + batchSent,
      errors,
      singleSent,
      batchedSent: Array.from({ length: batchSent }, (_, i) => sizeOf(i)).reduce((a, b) => a + b, 0),
    };
  } finally {
    client.close();
  }
}

/** The port a server child prints as "listening on <port>"; rejects if it exits first. */
export function listeningPort(child: ChildProcess, name: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const match = /listening on (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`${name} exited ${code}`)));
  });
}

/**
 * The same load against the bare baseline (bench/bare-ingest-server.mjs: node:http, JSON.parse,
 * publish with Nats-Msg-Id, await the PubAck, 202), started here in its own process, so the app's figures can be printed as a ratio of what this machine allows right now.
 */
export async function measureBareIngest(natsUrl: string, port: number, prefix: string, opts: IngestOptions = {}): Promise<IngestFigures> {
  const server = spawn(process.execPath, ["--import", "tsx", "bench/bare-ingest-server.mjs", String(port), natsUrl, prefix], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const listening = await listeningPort(server, "the bare ingest server");
    const cpuAt: Record<string, number> = {};
    const figures = await measureIngest(`http://127.0.0.1:${listening}`, "bare", {
      ...opts,
      onPhase: (phase) => {
        cpuAt[phase] = cpuMsOf(server.pid!);
        opts.onPhase?.(phase);
      },
    });
    const perEvent = (ms: number, n: number) => (n > 0 ? Math.round((ms / n) * 1000) / 1000 : 0);
    return {
      ...figures,
      serverCpuMsPerEvent: { single: perEvent(cpuAt.batched! - cpuAt.single!, figures.singleSent), batched: perEvent(cpuAt.done! - cpuAt.batched!, figures.batchedSent) },
    };
  } finally {
    if (server.exitCode === null) {
      const exited = new Promise((r) => server.once("exit", r));
      server.kill("SIGTERM");
      await exited;
    }
  }
}
