// `npm run bench`: measures the figures of the README's "Performance" section on this machine, prints them as a table and writes
// bench/results/latest.json. Needs a production build (`npm run build`), Postgres and NATS.
// `--soak <seconds>` (or BENCH_SOAK_SECONDS; default 30) sets the sustained-load phase of the worker memory
// figure: `npm run bench -- --soak 600` is the 10-minute soak. BENCH_WORKER_NODE_ARGS adds node flags to
// the bench's workers (runtime and scale phases) and BENCH_APP_NODE_OPTIONS is NODE_OPTIONS for every process of the app's `npm start` (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, `--heapsnapshot-signal=SIGUSR2`).
// BENCH_ONLY=runtime,scale,expressions,history,app (comma-separated, default all) runs only those phases;
// `scale` is the scale-out table (bench/scale-out.ts): 1/2/3 workers on 16 partitions and 8/16/64 partitions
// on one worker; BENCH_SCALE_CONFIGS=1x16,2x16 (workers x partitions), BENCH_SCALE_EVENTS (20,000) and
// BENCH_SCALE_LATENCY_EVENTS (3,000) change what it runs;
// BENCH_SKIP_EDITOR=1 leaves out the editor figures (they need Chromium); BENCH_LATENCY_OUT=<file> writes
// each latency event's (ms since the first publish, latency ms) there (with BENCH_ONLY=runtime: the scale
// phase measures latency too and would overwrite it).
// Every figure is printed beside a baseline measured in the same run (raw JetStream for the
// runtime, the bare node:http endpoint for HTTP ingest), as a ratio: the machine is shared, so
// absolute figures move between runs and the ratios much less.
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import os from "node:os";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import pg from "pg";
import { applyMigrations } from "../server/db/migrations";
import { createPrismaClient } from "../server/db/create-client";
import { measureEditor } from "./editor";
import { measureRuntime } from "./runtime";
import { measureBareIngest, measureIngest } from "./ingest";
import { cpuMsOf, processTree, sampleTree } from "./process-memory";
import { memoryEnv, startCommandArgs } from "../scripts/child-memory";
import { measureRunHistory } from "./run-history";
import { connectNats } from "../server/nats/connection";
import { measureExpressions } from "./expressions";
import { defaultScaleConfigs, measureScaleOut, type ScaleConfig, type ScaleFigures } from "./scale-out";
import { jetstreamManager } from "@nats-io/jetstream";

const port = Number(process.env.BENCH_PORT ?? 3300);
const baseUrl = `http://127.0.0.1:${port}`;
const adminUrl = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const apiKey = "syn_bench_bootstrap_key_0123456789";
/** The owner the app is started with: the editor figures are taken signed in, as a user sees the editor. */
const owner = { email: "bench@syncline.test", password: "bench-owner-password-0123" };
const stamp = Date.now().toString(36);

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try { await client.query(sql); } finally { await client.end(); }
}

async function withDatabase<T>(name: string, fn: (url: string) => Promise<T>): Promise<T> {
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    await applyMigrations(url.toString());
    return await fn(url.toString());
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

async function waitForHealth(timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${baseUrl}/api/health`)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the app did not become healthy on ${baseUrl}`);
}

/**
 * Where the machine's CPU went per event of the throughput run: the worker, Postgres, the NATS
 * server and the bench's own publisher, and the rate at which they would fill every core.
 */
function machineCpuRow(p: { workerCpuMs: number; postgresCpuMs: number; natsCpuMs: number; publisherCpuMs: number }): Row {
  const total = p.workerCpuMs + p.postgresCpuMs + p.natsCpuMs + p.publisherCpuMs;
  const cores = os.availableParallelism();
  return [
    "per event, all CPU of the throughput run: worker / Postgres / NATS server / publisher",
    `${p.workerCpuMs} / ${p.postgresCpuMs} / ${p.natsCpuMs} / ${p.publisherCpuMs} ms = ${Math.round(total * 1000) / 1000} ms`,
    `${cores} cores full at ~${Math.round((cores * 1000) / total)} events/s`,
    "docs/capacity-plan.md",
  ];
}

async function withApp<T>(databaseUrl: string, fn: (pid: number) => Promise<T>): Promise<T> {
  // What `npm start` runs: the web app in the launcher's process, and the worker it starts.
  const app = spawn(process.execPath, startCommandArgs(), {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...memoryEnv(process.env), ...(process.env.BENCH_APP_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_APP_NODE_OPTIONS } : {}), DATABASE_URL: databaseUrl, NATS_URL: natsUrl, PORT: String(port), BOOTSTRAP_API_KEY: apiKey, SYNCLINE_ADMIN_EMAIL: owner.email, SYNCLINE_ADMIN_PASSWORD: owner.password, SYNCLINE_PREFIX: `bench_app_${stamp}` },
  });
  try {
    await waitForHealth(120_000);
    return await fn(app.pid!);
  } finally {
    const exited = new Promise((r) => app.once("exit", r));
    app.kill("SIGTERM");
    await exited;
  }
}

/** The app under test created streams on the shared NATS server; leave nothing behind. */
async function deleteStreams(prefix: string) {
  const nc = await connectNats(natsUrl, { name: "syncline-bench-cleanup", reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const stream of jsm.streams.list()) {
      if (stream.config.name.startsWith(prefix)) await jsm.streams.delete(stream.config.name);
    }
  } finally {
    await nc.close();
  }
}

/** A figure, what was measured, the same-run baseline it compares with (as a ratio), the target. */
type Row = [figure: string, measured: string, baseline: string, target: string];

function printRows(rows: Row[]) {
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), 8));
  const line = (r: string[]) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join("  ");
  console.log(`\n${line(["figure", "measured", "vs same-run baseline", "target"])}`);
  for (const row of rows) console.log(line(row));
  console.log("");
}

const ratio = (value: number, baseline: number) => Math.round((value / baseline) * 100) / 100;
const phases = new Set((process.env.BENCH_ONLY ?? "runtime,scale,expressions,history,app").split(",").map((s) => s.trim()));

async function main() {
  if (phases.has("app") && !existsSync(".next/BUILD_ID")) throw new Error("No production build: run `npm run build` first.");
  const rows: Row[] = [];
  const results: Record<string, unknown> = { measuredAt: new Date().toISOString(), machine: "2 cores" };

  if (phases.has("runtime")) {
  console.log("runtime: raw JetStream baseline, throughput, latency, worker memory…");
  const { values: flags } = parseArgs({ options: { soak: { type: "string" } }, allowPositionals: true });
  const soakSeconds = Number(flags.soak ?? process.env.BENCH_SOAK_SECONDS ?? 30);
  if (!Number.isFinite(soakSeconds) || soakSeconds < 1) throw new Error(`--soak takes a number of seconds, not "${flags.soak ?? process.env.BENCH_SOAK_SECONDS}"`);
  const { runtime, raw } = await withDatabase(`syncline_bench_rt_${stamp}`, async (url) => {
    const db = createPrismaClient(url);
    try {
      return await measureRuntime({ db, databaseUrl: url, natsUrl, soakSeconds });
    } finally {
      await db.$disconnect();
    }
  });
  results.raw = raw;
  results.runtime = runtime;
  rows.push(
    ["raw JetStream publish (msgID, acks per 2,000)", `${raw.publishPerSec} msg/s`, "(baseline)", "—"],
    ["raw JetStream consume + ack", `${raw.consumePerSec} msg/s`, "(baseline)", "—"],
    ["raw JetStream publish + consume at once", `${raw.pipelinePerSec} msg/s`, "(baseline)", "—"],
    [`runtime, 1-node flow, ${runtime.keys} keys, order+dedup+history`, `${runtime.eventsPerSec} events/s`, `${runtime.ratioToRawPipeline} × raw publish+consume`, "≥ 10,000/s and ≥ 0.5 × raw"],
    [`latency publish → first action @ ${runtime.latency.offeredPerSec}/s`, `p50 ${runtime.latency.p50Ms} ms, p99 ${runtime.latency.p99Ms} ms (worker CPU ${runtime.latency.workerCpuMsPerEvent} ms per event)`, "—", "p50 ≤ 5 ms, p99 ≤ 25 ms"],
    [`worker RSS (${runtime.workerRssMb.soakSeconds} s sustained)`, `start ${runtime.workerRssMb.start} MB, max ${runtime.workerRssMb.max} MB, end ${runtime.workerRssMb.end} MB; soak ${runtime.workerRssMb.soakStart} → ${runtime.workerRssMb.soakEnd} MB, slope ${runtime.workerRssMb.slopeMbPerMin} MB/min; backlog up to ${Math.max(0, ...runtime.workerRssMb.soakBacklog)} events`, "—", "≤ 200 MB, flat"],
    ["per event: worker CPU / Run row / ProcessedEvent row / NATS", `${runtime.perEvent.workerCpuMs} ms / ${runtime.perEvent.runRowBytes} B / ${runtime.perEvent.processedRowBytes} B / ${runtime.perEvent.natsBytes} B`, "—", "docs/capacity-plan.md"],
    machineCpuRow(runtime.perEvent),
  );
  if (soakSeconds >= 60) {
    // The soak's RSS timeline, one sample a second, printed as one figure per 10 s.
    const timeline = runtime.workerRssMb.timeline.filter((_, i) => i % 10 === 0);
    console.log(`worker RSS every 10 s (MB): ${timeline.join(" ")}`);
    console.log(`worker backlog every 10 s of the soak (events published, not yet committed): ${runtime.workerRssMb.soakBacklog.join(" ")}`);
  }
  }

  if (phases.has("scale")) {
  const configs: ScaleConfig[] = process.env.BENCH_SCALE_CONFIGS
    ? process.env.BENCH_SCALE_CONFIGS.split(",").map((c) => {
        const [workers, partitions] = c.trim().split("x").map(Number);
        if (!Number.isInteger(workers) || !Number.isInteger(partitions) || workers! < 1 || partitions! < 1) throw new Error(`BENCH_SCALE_CONFIGS takes workers x partitions, e.g. 1x16,2x16, not "${c}"`);
        return { workers: workers!, partitions: partitions! };
      })
    : defaultScaleConfigs;
  console.log(`scale: ${configs.map((c) => `${c.workers}×${c.partitions}`).join(", ")} (workers × partitions), each beside raw JetStream…`);
  const scale = await withDatabase(`syncline_bench_sc_${stamp}`, (url) =>
    measureScaleOut({
      adminUrl, templateUrl: url, natsUrl, configs,
      events: process.env.BENCH_SCALE_EVENTS ? Number(process.env.BENCH_SCALE_EVENTS) : undefined,
      latencyEvents: process.env.BENCH_SCALE_LATENCY_EVENTS ? Number(process.env.BENCH_SCALE_LATENCY_EVENTS) : undefined,
      onConfig: (f) => console.log(`  ${f.workers}×${f.partitions}: ${f.eventsPerSec} events/s (raw ${f.rawPipelinePerSec}), p50 ${f.latency.p50Ms} ms, p99 ${f.latency.p99Ms} ms, partitions per worker ${f.partitionsPerWorker.join("/")} (shared out in ${f.shareOutMs} ms; ${Math.round(f.tookMs / 100) / 10} s in all; raw before/after ${f.rawPipelineBeforeAfter.join("/")}; load average ${f.loadAverage.map((l) => l.toFixed(1)).join(" → ")})`),
    }),
  );
  // The reference is 1 worker × 16 partitions: the mean of its runs (first and last by default), else the first row.
  const references = scale.filter((f) => f.workers === 1 && f.partitions === 16);
  const refs = references.length > 0 ? references : [scale[0]!];
  const mean = (pick: (f: ScaleFigures) => number) => refs.reduce((sum, f) => sum + pick(f), 0) / refs.length;
  const reference = {
    name: `${refs[0]!.workers} worker × ${refs[0]!.partitions} partitions${refs.length > 1 ? ` (mean of ${refs.length} runs)` : ""}`,
    eventsPerSec: mean((f) => f.eventsPerSec), workerCpuMsPerEvent: mean((f) => f.workerCpuMsPerEvent),
    p50Ms: mean((f) => f.latency.p50Ms), p99Ms: mean((f) => f.latency.p99Ms), ratioToRawPipeline: mean((f) => f.ratioToRawPipeline),
  };
  const name = (f: ScaleFigures) => `${f.workers} worker${f.workers > 1 ? "s" : ""} × ${f.partitions} partitions`;
  const isReference = (f: ScaleFigures) => refs.includes(f);
  results.scaleReference = reference;
  results.scale = scale.map((f) => ({
    ...f,
    ratioToReference: ratio(f.eventsPerSec, reference.eventsPerSec),
    cpuPerEventRatioToReference: ratio(f.workerCpuMsPerEvent, reference.workerCpuMsPerEvent),
    // The same ratio with each side first divided by its own raw baseline: what is left of the
    // machine's load changing between configurations.
    rawNormalisedRatioToReference: ratio(f.ratioToRawPipeline, reference.ratioToRawPipeline),
  }));
  for (const f of scale) {
    // Throughput and CPU per event against the reference. The CPU figure moves less with the machine's
    // load; on 2 cores more workers cannot add throughput, so what the rows show is what sharing costs.
    const vs = `${ratio(f.eventsPerSec, reference.eventsPerSec)} × throughput, ${ratio(f.workerCpuMsPerEvent, reference.workerCpuMsPerEvent)} × CPU/event of ${reference.name}`;
    const label = `scale: ${name(f)}${isReference(f) ? ` (reference run ${refs.indexOf(f) + 1} of ${refs.length})` : ""}`;
    rows.push(
      [`${label}, partitions per worker ${f.partitionsPerWorker.join("/")}`, `${f.eventsPerSec} events/s, worker CPU ${f.workerCpuMsPerEvent} ms/event (all workers)`, `${f.ratioToRawPipeline} × raw publish+consume (${f.rawPipelinePerSec} msg/s); ${vs}`, isReference(f) ? "—" : "≥ 0.9 × throughput, ≤ 1.5 × CPU/event"],
      [`${label}, latency publish → first action @ ${f.latency.offeredPerSec}/s`, `p50 ${f.latency.p50Ms} ms, p99 ${f.latency.p99Ms} ms`, `p50 ${ratio(f.latency.p50Ms, reference.p50Ms)} ×, p99 ${ratio(f.latency.p99Ms, reference.p99Ms)} × ${reference.name}`, "p50 ≤ 5 ms, p99 ≤ 25 ms"],
    );
  }
  }

  if (phases.has("expressions")) {
  console.log("expressions: sandbox per-call cost next to direct evaluation…");
  const expressions = await measureExpressions();
  results.expressions = expressions;
  rows.push(
    ["expression, direct evaluation", `${expressions.directUsPerCall} µs/call`, "(baseline)", "—"],
    ["expression in the sandbox, one at a time", `${expressions.sandboxUsPerCall} µs/call (+${expressions.overheadUsPerCall} µs)`, `${ratio(expressions.sandboxUsPerCall, expressions.directUsPerCall)} × direct`, "small next to a step's I/O"],
    ["expression in the sandbox, 32 in flight", `${expressions.sandboxConcurrentUsPerCall} µs/call`, `${ratio(expressions.sandboxConcurrentUsPerCall, expressions.directUsPerCall)} × direct`, "—"],
    ["expression as a step evaluates it (straight-line: on the calling thread)", `${expressions.runtimeUsPerCall} µs/call`, `${ratio(expressions.runtimeUsPerCall, expressions.directUsPerCall)} × direct`, "—"],
  );
  printRows(rows);
  }

  if (phases.has("history")) {
  console.log("run history: seeding 1 M runs, timing list queries…");
  const history = await withDatabase(`syncline_bench_rh_${stamp}`, (url) => measureRunHistory(url));
  results.runHistory = history;
  rows.push([`run history list query, ${history.rows.toLocaleString("en")} runs`, `p50 ${history.p50Ms} ms, p95 ${history.p95Ms} ms, p99 ${history.p99Ms} ms`, "—", "p95 ≤ 50 ms"]);
  const search = history.businessKeySearch;
  rows.push([`business-key search (SKU / order id), ${history.rows.toLocaleString("en")} runs`, `p50 ${search.p50Ms} ms, p95 ${search.p95Ms} ms, p99 ${search.p99Ms} ms`, "—", "p95 ≤ 50 ms"]);
  }

  if (phases.has("app")) {
  console.log("app: editor, HTTP ingest next to the bare baseline, memory of everything `npm start` runs…");
  await withDatabase(`syncline_bench_app_${stamp}`, (url) =>
    withApp(url, async (appPid) => {
      if (process.env.BENCH_SKIP_EDITOR !== "1") {
        const editor = await measureEditor(baseUrl, apiKey, owner, 500);
        results.editor = editor;
        rows.push(
          ["editor: pan FPS, 500-node flow", String(editor.panFps), "—", "smooth (≥ 30 fps)"],
          ["editor: zoom FPS, 500-node flow", String(editor.zoomFps), "—", "smooth (≥ 30 fps)"],
          ["editor route JS, gzipped", `${editor.editorJsGzipKb} KB (${editor.editorJsFiles} files)`, "—", "≤ 350 KB"],
        );
      }
      // The baseline first, while the app is idle beside it, then the app under the same load.
      const bare = await measureBareIngest(natsUrl, 0, `bench_bare_${stamp}`);
      results.bareIngest = bare;
      const memory = sampleTree(appPid);
      // The web process's CPU time per event in each phase (docs/capacity-plan.md): npm start's own
      // process, which serves the web app (docs/decisions/0043).
      const cpuAt: Record<string, number> = {};
      // Like for like: the bare baseline's events are consumed by nobody, while the app's worker
      // consumes every event the app ingests, on the same two cores. So the app is measured with
      // its worker paused (SIGSTOP; it catches up after SIGCONT), and once more with it consuming.
      const worker = processTree(appPid).find((p) => p.command.includes("run-worker.mjs"));
      if (worker) process.kill(worker.pid, "SIGSTOP");
      let ingest: Awaited<ReturnType<typeof measureIngest>>;
      try {
        ingest = await measureIngest(baseUrl, apiKey, { onPhase: (phase) => (cpuAt[phase] = cpuMsOf(appPid)) });
      } finally {
        if (worker) process.kill(worker.pid, "SIGCONT");
      }
      const consuming = worker ? await measureIngest(baseUrl, apiKey, { batches: 0 }) : undefined;
      results.ingestWithWorkerConsuming = consuming;
      const perEvent = (ms: number, n: number) => (n > 0 ? Math.round((ms / n) * 1000) / 1000 : null);
      const webCpu = {
        singleMsPerEvent: perEvent(cpuAt.batched! - cpuAt.single!, ingest.singleSent),
        batchedMsPerEvent: perEvent(cpuAt.done! - cpuAt.batched!, ingest.batchedSent),
      };
      results.webCpuMsPerEvent = webCpu;
      const rss = memory.stop();
      results.ingest = ingest;
      results.npmStartRssMb = rss;
      const errors = (f: typeof ingest) => (f.errors ? `, ${f.errors} errors` : "");
      rows.push(
        ["bare ingest baseline, single events (node:http + publish)", `${bare.singleEventsPerSec} events/s (p50 ${bare.singleP50Ms} ms, p99 ${bare.singleP99Ms} ms)`, "(baseline)", "—"],
        ["bare ingest baseline, batched (500 per request)", `${bare.batchedEventsPerSec} events/s`, "(baseline)", "—"],
        ["HTTP ingest, single-event requests (64 in flight; worker paused, like bare)", `${ingest.singleEventsPerSec} events/s (p50 ${ingest.singleP50Ms} ms, p99 ${ingest.singleP99Ms} ms)${errors(ingest)}`, `${ratio(ingest.singleEventsPerSec, bare.singleEventsPerSec)} × bare`, "≥ 5,000 events/s and ≥ 0.7 × bare"],
        ["HTTP ingest, batched (500 per request; worker paused)", `${ingest.batchedEventsPerSec} events/s`, `${ratio(ingest.batchedEventsPerSec, bare.batchedEventsPerSec)} × bare`, "≥ 30,000 events/s"],
        ...(consuming
          ? [["HTTP ingest, single events, worker consuming beside it", `${consuming.singleEventsPerSec} events/s (p50 ${consuming.singleP50Ms} ms, p99 ${consuming.singleP99Ms} ms)${errors(consuming)}`, `${ratio(consuming.singleEventsPerSec, bare.singleEventsPerSec)} × bare (which has no consumer)`, "—"] as Row]
          : []),
        ["web process CPU per event, single / batched", `${webCpu.singleMsPerEvent} ms / ${webCpu.batchedMsPerEvent} ms`, `${bare.serverCpuMsPerEvent ? `${ratio(webCpu.singleMsPerEvent ?? NaN, bare.serverCpuMsPerEvent.single)} / ${ratio(webCpu.batchedMsPerEvent ?? NaN, bare.serverCpuMsPerEvent.batched)} × bare (${bare.serverCpuMsPerEvent.single} / ${bare.serverCpuMsPerEvent.batched} ms)` : "—"}`, "docs/capacity-plan.md"],
        ["everything `npm start` runs, peak RSS under ingest", `${rss.peakTotalMb} MB`, "—", "≤ 450 MB"],
        ...rss.processes.map((p): Row => [`  process ${p.command}`, `peak ${p.rssMb} MB`, "—", "—"]),
      );
    }),
  );
  await deleteStreams(`bench_app_${stamp}`);
  }

  printRows(rows);
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/latest.json", JSON.stringify(results, null, 2) + "\n");
  console.log("\nwritten to bench/results/latest.json");
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
