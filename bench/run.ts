// `npm run bench`: measures the figures of the README's "Performance" section on this machine, prints them as a table and writes
// bench/results/latest.json. Needs a production build (`npm run build`), Postgres and NATS.
// BENCH_SOAK_SECONDS (default 30) sets the sustained-load phase of the worker memory figure.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import pg from "pg";
import { applyMigrations } from "../server/db/migrations";
import { createPrismaClient } from "../server/db/create-client";
import { measureEditor } from "./editor";
import { measureRuntime } from "./runtime";
import { measureIngest } from "./ingest";
import { measureRunHistory } from "./run-history";
import { connectNats } from "../server/nats/connection";
import { measureExpressions } from "./expressions";
import { jetstreamManager } from "@nats-io/jetstream";

const port = Number(process.env.BENCH_PORT ?? 3300);
const baseUrl = `http://127.0.0.1:${port}`;
const adminUrl = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const apiKey = "syn_bench_bootstrap_key_0123456789";
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

async function withApp<T>(databaseUrl: string, fn: () => Promise<T>): Promise<T> {
  const app = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/start.ts"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, DATABASE_URL: databaseUrl, NATS_URL: natsUrl, PORT: String(port), BOOTSTRAP_API_KEY: apiKey, SYNCLINE_PREFIX: `bench_app_${stamp}` },
  });
  try {
    await waitForHealth(120_000);
    return await fn();
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

type Row = [figure: string, measured: string, target: string];

function printRows(rows: Row[]) {
  const width = Math.max(...rows.map((r) => r[0].length));
  const width2 = Math.max(...rows.map((r) => r[1].length));
  console.log(`\n${"figure".padEnd(width)}  ${"measured".padEnd(width2)}  target`);
  for (const [name, value, target] of rows) console.log(`${name.padEnd(width)}  ${value.padEnd(width2)}  ${target}`);
  console.log("");
}

async function main() {
  if (!existsSync(".next/BUILD_ID")) throw new Error("No production build: run `npm run build` first.");
  const rows: Row[] = [];
  const results: Record<string, unknown> = { measuredAt: new Date().toISOString(), machine: "2 cores" };

  console.log("runtime: raw JetStream baseline, throughput, latency, worker memory…");
  const soakSeconds = Number(process.env.BENCH_SOAK_SECONDS ?? 30);
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
    ["raw JetStream publish (msgID, acks per 2,000)", `${raw.publishPerSec} msg/s`, "baseline"],
    ["raw JetStream consume + ack", `${raw.consumePerSec} msg/s`, "baseline"],
    ["raw JetStream publish + consume at once", `${raw.pipelinePerSec} msg/s`, "baseline"],
    [`runtime, 1-node flow, ${runtime.keys} keys, order+dedup+history`, `${runtime.eventsPerSec} events/s (${runtime.ratioToRawPipeline} × raw)`, "≥ 10,000/s and ≥ 0.5 × raw"],
    [`latency publish → first action @ ${runtime.latency.offeredPerSec}/s`, `p50 ${runtime.latency.p50Ms} ms, p99 ${runtime.latency.p99Ms} ms`, "p50 ≤ 5 ms, p99 ≤ 25 ms"],
    [`worker RSS (${runtime.workerRssMb.soakSeconds} s sustained)`, `start ${runtime.workerRssMb.start} MB, max ${runtime.workerRssMb.max} MB, end ${runtime.workerRssMb.end} MB`, "≤ 200 MB, flat"],
  );

  console.log("expressions: sandbox per-call cost next to direct evaluation…");
  const expressions = await measureExpressions();
  results.expressions = expressions;
  rows.push(
    ["expression, direct evaluation (baseline)", `${expressions.directUsPerCall} µs/call`, "baseline"],
    ["expression in the sandbox, one at a time", `${expressions.sandboxUsPerCall} µs/call (+${expressions.overheadUsPerCall} µs)`, "small next to a step's I/O"],
    ["expression in the sandbox, 32 in flight", `${expressions.sandboxConcurrentUsPerCall} µs/call`, "—"],
  );

  printRows(rows);
  console.log("run history: seeding 1 M runs, timing list queries…");
  const history = await withDatabase(`syncline_bench_rh_${stamp}`, (url) => measureRunHistory(url));
  results.runHistory = history;
  rows.push([`run history list query, ${history.rows.toLocaleString("en")} runs`, `p50 ${history.p50Ms} ms, p95 ${history.p95Ms} ms, p99 ${history.p99Ms} ms`, "p95 ≤ 50 ms"]);
  const search = history.businessKeySearch;
  rows.push([`business-key search (SKU / order id), ${history.rows.toLocaleString("en")} runs`, `p50 ${search.p50Ms} ms, p95 ${search.p95Ms} ms, p99 ${search.p99Ms} ms`, "p95 ≤ 50 ms"]);

  console.log("app: editor, HTTP ingest…");
  await withDatabase(`syncline_bench_app_${stamp}`, (url) =>
    withApp(url, async () => {
      const editor = await measureEditor(baseUrl, apiKey, 500);
      results.editor = editor;
      rows.push(
        ["editor: pan FPS, 500-node flow", String(editor.panFps), "smooth (≥ 30 fps)"],
        ["editor: zoom FPS, 500-node flow", String(editor.zoomFps), "smooth (≥ 30 fps)"],
        ["editor route JS, gzipped", `${editor.editorJsGzipKb} KB (${editor.editorJsFiles} files)`, "≤ 350 KB"],
      );
      const ingest = await measureIngest(baseUrl, apiKey);
      results.ingest = ingest;
      rows.push(
        ["HTTP ingest, single-event requests", `${ingest.singleEventsPerSec} events/s (p50 ${ingest.singleP50Ms} ms, p99 ${ingest.singleP99Ms} ms)`, "≥ 5,000 events/s"],
        ["HTTP ingest, batched (500 per request)", `${ingest.batchedEventsPerSec} events/s${ingest.errors ? `, ${ingest.errors} errors` : ""}`, "≥ 30,000 events/s"],
      );
    }),
  );

  await deleteStreams(`bench_app_${stamp}`);

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
