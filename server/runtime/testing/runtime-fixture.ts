import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { startNatsServer, type NatsServerProcess } from "@/server/nats/nats-server-process";
import { connectNats } from "@/server/nats/connection";
import { ingestEvents, type IngestResult } from "@/server/events/ingest";
import { createFlow, publishFlow, setFlowEnabled } from "@/server/flows/flow-store";
import type { FlowDocument } from "@/server/flows/flow-document";
import { Worker, type WorkerOptions } from "@/server/runtime/worker";
import type { StreamLayout } from "@/server/runtime/stream-layout";
import { RecordingReceiver } from "./recording-receiver";
import pg from "pg";

// Everything a runtime integration test needs, all real: its own nats-server (so it can be killed
// and restarted), its own Postgres database, worker processes (so they can be SIGKILLed), and a
// local receiver playing the outside system.

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  kill: (signal?: NodeJS.Signals) => Promise<void>;
}

export interface RuntimeFixture {
  nats: NatsServerProcess;
  nc: NatsConnection;
  database: TestDatabase;
  layout: StreamLayout;
  receiver: RecordingReceiver;
  /** Ingests events the way POST /api/events does. */
  publish: (events: unknown[]) => Promise<IngestResult[]>;
  /** Creates, publishes and enables a flow; returns its id. */
  deployFlow: (document: FlowDocument) => Promise<string>;
  startWorkerProcess: () => Promise<WorkerProcess>;
  startWorkerInProcess: (options?: WorkerTimings) => Promise<Worker>;
  close: () => Promise<void>;
}

type WorkerTimings = Pick<WorkerOptions, "inlineBudgetMs" | "tickMs" | "leaseTtlMs" | "deadLetterPollMs">;

const repoRoot = path.resolve(import.meta.dirname, "../../..");

export async function startRuntimeFixture(options: { partitions?: number } = {}): Promise<RuntimeFixture> {
  const storeDir = await mkdtemp(path.join(tmpdir(), "syncline-nats-"));
  const nats = await startNatsServer({ storeDir });
  const database = await createTestDatabase();
  const prefix = `t${randomUUID().replace(/-/g, "").slice(0, 10)}`;
  const layout: StreamLayout = { prefix, partitions: options.partitions ?? 8, duplicateWindowMs: 120_000 };
  const receiver = new RecordingReceiver();
  await receiver.start();
  const nc = await connectNats(nats.url, { name: `${prefix}-test` });
  const processes: WorkerProcess[] = [];
  const inProcess: Worker[] = [];
  const pools: pg.Pool[] = [];

  const workerEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: database.url,
    NATS_URL: nats.url,
    SYNCLINE_PREFIX: prefix,
    SYNCLINE_PARTITIONS: String(layout.partitions),
    SYNCLINE_HTTP_ALLOWLIST: "127.0.0.1",
    NODE_ENV: "test" as const,
  };

  async function startWorkerProcess(): Promise<WorkerProcess> {
    const child = spawn(process.execPath, ["--conditions=react-server", "scripts/run-worker.mjs"], {
      cwd: repoRoot,
      env: workerEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const onData = () => { if (output.includes(" started; partitions")) { cleanup(); resolve(); } };
      const onExit = (code: number | null) => { cleanup(); reject(new Error(`worker exited (${code}) before starting:\n${output}`)); };
      const cleanup = () => { child.stdout!.off("data", onData); child.off("exit", onExit); };
      child.stdout!.on("data", onData);
      child.on("exit", onExit);
    });
    const handle: WorkerProcess = {
      child,
      output: () => output,
      kill: async (signal = "SIGKILL") => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once("exit", r));
        child.kill(signal);
        await exited;
      },
    };
    processes.push(handle);
    return handle;
  }

  async function startWorkerInProcess(options: WorkerTimings = {}): Promise<Worker> {
    const pool = new pg.Pool({ connectionString: database.url, max: 24 });
    pools.push(pool);
    const worker = new Worker({
      db: database.prisma, pool, nc, layout, services: { httpAllowlist: ["127.0.0.1"], db: database.prisma, nats: nc, prefix: layout.prefix }, maxRetryAgeMs: 24 * 3600_000,
      ...options,
      log: process.env.SYNCLINE_TEST_LOG ? (m, e) => console.log(new Date().toISOString(), m, e ?? "") : () => {},
    });
    await worker.start();
    inProcess.push(worker);
    return worker;
  }

  return {
    nats, nc, database, layout, receiver,
    publish: (events) => ingestEvents(events, { nats: async () => nc, layout }),
    deployFlow: async (document) => {
      const { id } = await createFlow(database.prisma, document);
      await publishFlow(database.prisma, id);
      await setFlowEnabled(database.prisma, id, true);
      return id;
    },
    startWorkerProcess,
    startWorkerInProcess,
    close: async () => {
      await Promise.all(processes.map((p) => p.kill("SIGKILL")));
      await Promise.all(inProcess.map((w) => w.stop()));
      await Promise.all(pools.map((p) => p.end()));
      await receiver.stop();
      await nc.close().catch(() => undefined);
      await nats.stop();
      await rm(storeDir, { recursive: true, force: true });
      await database.drop();
    },
  };
}

/** trigger:stock.changed → POST {sku, seq} to the receiver, with a quick retry policy for tests. */
export function stockToReceiverFlow(receiverUrl: string, opts: { name?: string; orderingPolicy?: "hold" | "skip"; attempts?: number; timeoutMs?: number } = {}): FlowDocument {
  return {
    schemaVersion: 1,
    name: opts.name ?? "Stock to receiver",
    nodes: [
      { id: "trigger", kind: "trigger:stock.changed", version: 1, config: {}, position: { x: 0, y: 0 } },
      {
        id: "deliver", kind: "action:http-request", version: 1, position: { x: 300, y: 0 },
        config: {
          method: "POST",
          url: `${receiverUrl}/stock`,
          body: '{"sku": event.subject, "seq": event.data.quantity}',
          timeoutMs: opts.timeoutMs ?? 2000,
          retry: { attempts: opts.attempts ?? 6, initialBackoffMs: 20, maxBackoffMs: 200, jitter: 0.2 },
        },
      },
    ],
    edges: [{ id: "e1", source: "trigger", target: "deliver", sourceHandle: "out" }],
    settings: { orderingPolicy: opts.orderingPolicy ?? "hold" },
  };
}

/** `count` stock.changed events per key, interleaved across keys; `quantity` is the per-key sequence. */
export function interleavedStockEvents(keys: string[], perKey: number, idPrefix = randomUUID().slice(0, 8)) {
  const events = [];
  for (let seq = 1; seq <= perKey; seq++) {
    for (const sku of keys) {
      events.push({
        specversion: "1.0", id: `${idPrefix}-${sku}-${seq}`, source: "test/erp", type: "stock.changed", subject: sku,
        data: { sku, quantity: seq },
      });
    }
  }
  return events;
}

/** Fails the test with a readable message if any key's effects are missing, repeated or out of order. */
export function assertInOrderComplete(byKey: Map<string, number[]>, keys: string[], perKey: number) {
  const problems: string[] = [];
  const expected = Array.from({ length: perKey }, (_, i) => i + 1);
  for (const key of keys) {
    const got = byKey.get(key) ?? [];
    if (got.join(",") !== expected.join(",")) problems.push(`${key}: got [${got.join(",")}]`);
  }
  if (problems.length) throw new Error(`per-key order broken or incomplete:\n${problems.slice(0, 10).join("\n")}`);
}
