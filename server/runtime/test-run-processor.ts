import "server-only";
import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import type { PrismaClient } from "@/server/db/generated/client";
import { flowDocumentSchema } from "@/server/flows/flow-document";
import type { ExecutionServices } from "@/server/nodes/define-executor";
import { readEventMessage } from "./batch-intake";
import { recordedError } from "./outcome-rows";
import { defaultIdempotencyKey, runFlow, type FlowRunResult, type StepRecord } from "./run-flow";
import type { StreamLayout } from "./stream-layout";
import { ensureTestStream, TEST_FLOW_VERSION, TEST_RUN_HEADER, testStreamName } from "./test-runs";

// The worker's side of test runs (test-runs.ts): every worker consumes the tests stream through
// one shared durable consumer, so each test event runs once, on whichever worker takes it. A test
// run is one try: no retries, no held events, no dead letters, and a delay is passed over at once
// so the run shows everything after it. Progress (the running step, each finished step) is
// written to the run as it happens: the editor paints the canvas from it.

export interface TestRunProcessorDeps {
  db: PrismaClient;
  js: JetStreamClient;
  jsm: JetStreamManager;
  layout: Pick<StreamLayout, "prefix">;
  workerId: string;
  services: ExecutionServices;
  /** Test runs running at once on this worker. */
  concurrency?: number;
  log: (message: string, extra?: unknown) => void;
}

/** A step in progress, as the run records it until it ends. */
export interface RunningStepRecord {
  nodeId: string;
  kind: string;
  status: "running";
  startedAt: string;
}

const MAX_DELAYS_PASSED = 50;

export class TestRunProcessor {
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(private readonly deps: TestRunProcessorDeps) {}

  /** The one shared durable consumer of the tests stream (workers and serverless drains alike). */
  private async consumer() {
    const stream = await ensureTestStream(this.deps.jsm, this.deps.layout);
    const durable = `${stream}_runner`;
    try {
      await this.deps.jsm.consumers.info(stream, durable);
    } catch {
      await this.deps.jsm.consumers.add(stream, {
        durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: 300_000_000_000, max_deliver: 3,
      }).catch((error: Error) => {
        if (!/already in use|exists/i.test(error.message)) throw error;
      });
    }
    return this.deps.js.consumers.get(stream, durable);
  }

  /**
   * Serverless mode (docs/decisions/0017, 0014): runs the test events waiting now, one after
   * another through the same shared consumer, until none is left or `budgetMs` is spent. A drain
   * cut off mid-run leaves its message unacknowledged: it is delivered again after the ack wait.
   * Returns how many test events it took.
   */
  async drain(options: { budgetMs: number }): Promise<number> {
    const consumer = await this.consumer();
    const deadline = Date.now() + options.budgetMs;
    let taken = 0;
    while (Date.now() < deadline) {
      const msg = await consumer.next({ expires: 1_000 });
      if (!msg) break;
      taken++;
      await this.handle(msg).catch((error: unknown) => {
        this.deps.log(`test run of message ${msg.seq} failed to record`, (error as Error).message);
        msg.nak(5_000);
      });
    }
    return taken;
  }

  async start() {
    const consumer = await this.consumer();
    const concurrency = this.deps.concurrency ?? 8;
    this.messages = await consumer.consume({ max_messages: concurrency });
    this.loop = (async () => {
      for await (const msg of this.messages!) {
        while (this.running.size >= concurrency) await Promise.race(this.running);
        const work = this.handle(msg).catch((error) => {
          this.deps.log(`test run of message ${msg.seq} failed to record`, (error as Error).message);
          msg.nak(5_000);
        });
        this.running.add(work);
        void work.finally(() => this.running.delete(work));
      }
    })();
  }

  private async handle(msg: JsMsg) {
    const runId = msg.headers?.get(TEST_RUN_HEADER);
    const row = runId ? await this.deps.db.run.findUnique({ where: { id: runId }, select: { id: true, flowId: true, test: true, testDocument: true, testMode: true, status: true } }) : null;
    if (!row || !row.test || (row.status !== "queued" && row.status !== "running")) {
      msg.ack(); // deleted meanwhile, or already finished (a redelivery)
      return;
    }
    const { db } = this.deps;
    const startedAt = new Date();
    const event = readEventMessage(msg);
    const parsed = flowDocumentSchema.safeParse(row.testDocument);
    const base = {
      worker: this.deps.workerId, stream: testStreamName(this.deps.layout), sequence: BigInt(msg.seq), deliveryCount: msg.info.deliveryCount,
      headers: event.headers,
    };
    if (!parsed.success) {
      await db.run.update({ where: { id: row.id }, data: { ...base, status: "failed", finishedAt: new Date(), error: "the test run's flow graph is not a flow document" } });
      msg.ack();
      return;
    }
    await db.run.update({ where: { id: row.id }, data: { ...base, status: "running", startedAt, steps: [] } });

    // Progress writes go one after another, the last one winning; the final write waits for them.
    let writes = Promise.resolve();
    const writeSteps = (steps: readonly (StepRecord | RunningStepRecord)[]) => {
      const snapshot = JSON.parse(JSON.stringify(steps)) as object[];
      writes = writes.then(() => db.run.update({ where: { id: row.id }, data: { steps: snapshot } }).then(() => undefined)).catch(() => undefined);
    };
    let completed: StepRecord[] = [];
    let result: FlowRunResult;
    for (let passed = 0; ; passed++) {
      result = await runFlow({
        flowId: row.flowId, flowVersion: TEST_FLOW_VERSION, document: parsed.data, event: event.event, traceparent: event.traceparent, attempt: 1,
        completedSteps: completed, services: this.deps.services, signal: this.abort.signal, dryRun: row.testMode !== "live",
        // Unique per test run, so sending the same event twice in live mode is not dropped as a repeat.
        idempotencyKeyOf: (nodeId) => defaultIdempotencyKey(event.event.id, row.flowId, TEST_FLOW_VERSION, nodeId),
        onProgress: (steps, running) => writeSteps(running ? [...steps, { ...running, status: "running" }] : steps),
      });
      if (result.status !== "suspended" || passed >= MAX_DELAYS_PASSED) break;
      // A test does not wait out a delay: it is recorded as passed over and the run goes on after it.
      const now = new Date().toISOString();
      completed = result.steps.map((s) => (s.status === "suspended" ? { ...s, output: { ...(s.output as object), until: now, passedOverInTest: true } } : s));
    }
    await writes;
    const status = result.status === "suspended" ? "failed" : result.status;
    const error = result.status === "failed" ? recordedError(result.error.message) : result.status === "suspended" ? "the test run passed over too many delays" : null;
    await db.run.update({
      where: { id: row.id },
      data: { status, finishedAt: new Date(), steps: JSON.parse(JSON.stringify(result.steps)) as object[], error, attempts: 1 },
    });
    msg.ack();
  }

  async stop(graceMs = 10_000) {
    await this.messages?.close().catch(() => undefined);
    await this.loop?.catch(() => undefined);
    const settled = Promise.allSettled([...this.running]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([settled.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
    clearTimeout(timer);
    if (timedOut) {
      // Unfinished test runs are delivered again (to another worker) and start over.
      this.abort.abort();
      await settled;
    }
  }
}
