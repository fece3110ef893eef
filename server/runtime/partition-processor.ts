import "server-only";
import { randomUUID } from "node:crypto";
import { AckPolicy, DeliverPolicy, type Consumer, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { setMaxListeners } from "node:events";
import type { Pool } from "pg";
import type { PrismaClient } from "@/server/db/generated/client";
import { Prisma } from "@/server/db/generated/client";
import type { CloudEvent } from "@/server/events/event-types";
import type { ExecutionServices } from "@/server/nodes/define-executor";
import { retryDelayMs, type RetryPolicy } from "@/server/nodes/retry-policy";
import { runFlow, type FlowRunResult, type StepRecord } from "./run-flow";
import type { CatalogFlow, FlowCatalog } from "./flow-catalog";
import { fenceAndAdvance, LostLeaseError, type Lease } from "./partition-leases";
import { commitBatchRows, processedPairs, type DeadLetterInsert, type HeldInsert, type RunInsert } from "./batch-writer";
import { eventsStreamName, partitionSubjectFilter, type StreamLayout } from "./stream-layout";
import { eventIsForFlow } from "@/server/events/system-events";

// One owned partition of the event stream. New events arrive in batches from a durable consumer
// that starts right after the partition's committed cursor. Per (flow, ordering key):
//   - if nothing of that key is waiting, the event runs at once (keys in parallel, a key in order);
//   - if something is (a retry, a delay, a dead letter under the hold policy), the event is
//     appended to the key's durable queue (HeldEvent) and acked; a "lane" drains that queue in
//     order when it is due.
// A batch's outcomes (runs, processed-event records, held events, dead letters) and the cursor
// are committed in one transaction, fenced by the lease epoch; only then is the batch acked.

export interface ProcessorDeps {
  db: PrismaClient;
  /** Plain pg pool for the per-batch write (see batch-writer.ts). */
  pool: Pool;
  js: JetStreamClient;
  jsm: JetStreamManager;
  layout: StreamLayout;
  workerId: string;
  catalog: FlowCatalog;
  services: ExecutionServices;
  maxRetryAgeMs: number;
  /** An inline run slower than this is detached into its key's lane so the batch can commit. */
  inlineBudgetMs?: number;
  batchSize?: number;
  log: (message: string, extra?: unknown) => void;
}

interface KeyState {
  flowId: string;
  orderingKey: string;
  /** Events of this key waiting in HeldEvent (counted when decided, before the commit lands). */
  held: number;
  /** When the head of the queue is due, if known. */
  nextDue?: number;
  /** An open dead letter that holds the key (hold policy). */
  deadLetterId?: string;
  /** A lane is working on this key (or an inline run is in flight). */
  busy: number;
}

interface ParsedEvent {
  event: CloudEvent;
  headers: Record<string, string>;
  sequence: bigint;
  traceparent: string;
}

type RunRow = RunInsert;
type HeldRow = HeldInsert;
type DeadLetterRow = DeadLetterInsert;

interface BatchOutcome {
  runs: RunRow[];
  processed: { eventId: string; flowId: string }[];
  held: HeldRow[];
  deadLetters: DeadLetterRow[];
  /** Keys whose queue gained a head in this batch: (key, due). */
  newHeads: Map<string, number>;
  /** Inline runs that were too slow: finished by their lane once the held row is committed. */
  detached: { key: string; runId: string; eventId: string; promise: Promise<FlowRunResult>; item: WorkItem; started: Date }[];
}

interface WorkItem {
  parsed: ParsedEvent;
  flow: CatalogFlow;
  key: string;
}

const MAX_RECORDED_ERROR = 2_000;

function keyOf(flowId: string, orderingKey: string) {
  return `${flowId}\u0000${orderingKey}`;
}

function traceIdOf(traceparent: string) {
  return traceparent.split("-")[1] ?? "";
}

function json(value: unknown): Prisma.InputJsonValue {
  return value as Prisma.InputJsonValue;
}

function retryPolicyFromResult(result: Extract<FlowRunResult, { status: "failed" }>): RetryPolicy {
  return result.retryPolicy;
}

export class PartitionProcessor {
  readonly partition: number;
  private readonly keys = new Map<string, KeyState>();
  private consumerName: string;
  private messages?: ConsumerMessages;
  private stopping = false;
  private loopDone?: Promise<void>;
  private schedulerTimer?: NodeJS.Timeout;
  private readonly lanes = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly maxLanes = 256;
  /** Called when the lease turned out to be lost; the worker drops this processor. */
  onLost?: (partition: number) => void;

  constructor(private readonly deps: ProcessorDeps, private readonly lease: Lease) {
    this.partition = lease.partition;
    // Every in-flight step listens to this signal; hundreds at a time is expected, not a leak.
    setMaxListeners(0, this.abort.signal);
    this.consumerName = `${eventsStreamName(deps.layout)}_p${lease.partition}`;
  }

  get cursor() {
    return this.lease.cursor;
  }

  async start() {
    await this.loadKeyState();
    const consumer = await this.resetConsumer();
    this.messages = await consumer.consume({ max_messages: (this.deps.batchSize ?? 500) * 2 });
    this.loopDone = this.loop(this.messages).catch((error) => this.fail(error));
    this.scheduleTick(0);
  }

  /**
   * The consumer is recreated at every take-over so it starts exactly after the committed cursor:
   * messages a previous owner fetched but never committed come first, in order.
   */
  private async resetConsumer(): Promise<Consumer> {
    const stream = eventsStreamName(this.deps.layout);
    await this.deps.jsm.consumers.delete(stream, this.consumerName).catch(() => undefined);
    const start = this.lease.cursor + 1n;
    await this.deps.jsm.consumers.add(stream, {
      durable_name: this.consumerName,
      filter_subject: partitionSubjectFilter(this.deps.layout, this.partition),
      ack_policy: AckPolicy.All,
      ...(start <= 1n ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Number(start) }),
      ack_wait: 120_000_000_000,
      max_ack_pending: 20_000,
    });
    return this.deps.js.consumers.get(stream, this.consumerName);
  }

  private async loadKeyState() {
    const { db } = this.deps;
    const counts = await db.$queryRaw<{ flowId: string; orderingKey: string; n: bigint; due: Date }[]>`
      SELECT "flowId", "orderingKey", count(*) AS n, min("nextAttemptAt") AS due
      FROM "HeldEvent" WHERE "partition" = ${this.partition} GROUP BY "flowId", "orderingKey"`;
    for (const row of counts) {
      this.keys.set(keyOf(row.flowId, row.orderingKey), {
        flowId: row.flowId, orderingKey: row.orderingKey, held: Number(row.n), nextDue: Date.now(), busy: 0,
      });
    }
    const open = await db.deadLetter.findMany({
      where: { partition: this.partition, status: { in: ["open", "redrive-requested"] } },
      select: { id: true, flowId: true, orderingKey: true },
      orderBy: { sequence: "asc" },
    });
    for (const dl of open) {
      if (this.deps.catalog.policyOf(dl.flowId) !== "hold") continue;
      const state = this.state(dl.flowId, dl.orderingKey);
      state.deadLetterId ??= dl.id;
    }
  }

  private state(flowId: string, orderingKey: string): KeyState {
    const key = keyOf(flowId, orderingKey);
    let state = this.keys.get(key);
    if (!state) {
      state = { flowId, orderingKey, held: 0, busy: 0 };
      this.keys.set(key, state);
    }
    return state;
  }

  private isBlocked(state: KeyState | undefined) {
    return !!state && (state.held > 0 || state.deadLetterId !== undefined);
  }

  private forgetIfIdle(key: string) {
    const state = this.keys.get(key);
    if (state && state.held === 0 && state.deadLetterId === undefined && state.busy === 0) this.keys.delete(key);
  }

  // ---- intake ---------------------------------------------------------------------------------

  private async loop(messages: ConsumerMessages) {
    const batchSize = this.deps.batchSize ?? 500;
    let batch: JsMsg[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    // Drain the iterator into a buffer so a batch is "whatever has arrived": one message at low
    // load (low latency), hundreds at high load (few commits).
    const pump = (async () => {
      for await (const msg of messages) {
        batch.push(msg);
        wake?.();
      }
      ended = true;
      wake?.();
    })();
    while (!this.stopping) {
      if (batch.length === 0) {
        if (ended) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const taken = batch.length > batchSize ? batch.splice(0, batchSize) : batch;
      if (taken === batch) batch = [];
      await this.processBatch(taken);
    }
    await pump.catch(() => undefined);
  }

  private parse(msg: JsMsg): ParsedEvent | undefined {
    try {
      const event = msg.json<CloudEvent>();
      const headers: Record<string, string> = {};
      for (const [name, values] of msg.headers ?? []) headers[name] = values[0] ?? "";
      const traceparent = event.traceparent ?? headers.traceparent ?? `00-${randomUUID().replace(/-/g, "")}-${randomUUID().replace(/-/g, "").slice(0, 16)}-01`;
      return { event, headers, sequence: BigInt(msg.seq), traceparent };
    } catch (error) {
      this.deps.log(`partition ${this.partition}: skipping unreadable message ${msg.seq}`, error);
      return undefined;
    }
  }

  private async processBatch(msgs: JsMsg[]) {
    const fresh = msgs.filter((m) => BigInt(m.seq) > this.lease.cursor);
    const lastSeq = BigInt(msgs[msgs.length - 1]!.seq);
    const outcome: BatchOutcome = { runs: [], processed: [], held: [], deadLetters: [], newHeads: new Map(), detached: [] };

    const items: WorkItem[] = [];
    for (const msg of fresh) {
      const parsed = this.parse(msg);
      if (!parsed) continue;
      for (const flow of this.deps.catalog.flowsFor(parsed.event.type)) {
        if (!eventIsForFlow(parsed.event, flow.flowId)) continue; // a webhook call or tick is for its own flow only
        items.push({ parsed, flow, key: keyOf(flow.flowId, parsed.event.subject) });
      }
    }
    const seen = await this.alreadyProcessed(items);
    const groups = new Map<string, WorkItem[]>();
    for (const item of items) {
      const id = `${item.parsed.event.id}\u0000${item.flow.flowId}`;
      if (seen.has(id)) continue; // a re-sent id beyond the duplicate window
      seen.add(id);
      outcome.processed.push({ eventId: item.parsed.event.id, flowId: item.flow.flowId });
      const group = groups.get(item.key);
      if (group) group.push(item);
      else groups.set(item.key, [item]);
    }
    await Promise.all([...groups.values()].map((group) => this.processGroup(group, outcome)));

    await this.commitBatch(outcome, lastSeq);
    msgs[msgs.length - 1]!.ack();
    this.afterBatchCommit(outcome);
  }

  private async alreadyProcessed(items: WorkItem[]): Promise<Set<string>> {
    if (items.length === 0) return new Set();
    const ids = [...new Set(items.map((i) => i.parsed.event.id))];
    return this.withDbRetry(() => processedPairs(this.deps.pool, ids));
  }

  private async processGroup(group: WorkItem[], outcome: BatchOutcome) {
    for (const item of group) {
      const { flow, parsed } = item;
      const state = this.keys.get(item.key);
      const runId = randomUUID();
      const now = new Date();
      if (this.isBlocked(state)) {
        this.hold(item, runId, now, outcome, { attempts: 0, nextAttemptAt: now });
        continue;
      }
      const inflight = this.state(flow.flowId, parsed.event.subject);
      inflight.busy++;
      const promise = runFlow({
        flowId: flow.flowId, flowVersion: flow.version, document: flow.document, event: parsed.event,
        traceparent: parsed.traceparent, attempt: 1, services: this.deps.services, signal: this.abort.signal,
      });
      const budget = this.deps.inlineBudgetMs ?? 2_000;
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        promise,
        new Promise<"slow">((resolve) => (timer = setTimeout(() => resolve("slow"), budget))),
      ]);
      clearTimeout(timer);
      if (result === "slow") {
        // Keep the batch moving: the key's queue takes this event as its head; its lane records
        // the outcome when the run finishes. Later events of the key queue up behind it.
        this.hold(item, runId, now, outcome, { attempts: 0, nextAttemptAt: new Date(8640000000000000) });
        outcome.detached.push({ key: item.key, runId, eventId: parsed.event.id, promise, item, started: now });
        continue;
      }
      inflight.busy--;
      this.recordInline(item, runId, now, result, outcome);
      this.forgetIfIdle(item.key);
    }
  }

  private hold(item: WorkItem, runId: string, now: Date, outcome: BatchOutcome, opts: { attempts: number; nextAttemptAt: Date; errors?: unknown[]; steps?: StepRecord[]; firstFailedAt?: Date }) {
    const { flow, parsed } = item;
    const state = this.state(flow.flowId, parsed.event.subject);
    if (state.held === 0 && state.deadLetterId === undefined) outcome.newHeads.set(item.key, opts.nextAttemptAt.getTime());
    state.held++;
    outcome.held.push({
      partition: this.partition, flowId: flow.flowId, flowVersion: flow.version, orderingKey: parsed.event.subject,
      eventId: parsed.event.id, event: parsed.event, headers: parsed.headers, sequence: parsed.sequence,
      attempts: opts.attempts, errors: opts.errors ?? [], nextAttemptAt: opts.nextAttemptAt,
      firstFailedAt: opts.firstFailedAt ?? null, runId, steps: opts.steps ?? [],
    });
    if (!outcome.runs.some((r) => r.id === runId)) {
      outcome.runs.push(this.runRow(item, runId, now, { status: opts.attempts > 0 ? "retrying" : "held", attempts: opts.attempts, steps: opts.steps ?? [] }));
    }
  }

  private runRow(item: WorkItem, runId: string, startedAt: Date, r: { status: string; attempts: number; steps: StepRecord[]; error?: string; finished?: boolean }): RunRow {
    return {
      id: runId, flowId: item.flow.flowId, flowVersion: item.flow.version, eventId: item.parsed.event.id,
      eventType: item.parsed.event.type, orderingKey: item.parsed.event.subject, status: r.status,
      attempts: r.attempts, traceId: traceIdOf(item.parsed.traceparent), sequence: item.parsed.sequence,
      startedAt, finishedAt: r.finished ? new Date() : null, error: r.error?.slice(0, MAX_RECORDED_ERROR) ?? null, steps: r.steps,
    };
  }

  /** Turns the result of a first, inline try into rows of the batch. */
  private recordInline(item: WorkItem, runId: string, started: Date, result: FlowRunResult, outcome: BatchOutcome) {
    const now = new Date();
    switch (result.status) {
      case "succeeded":
      case "skipped":
        outcome.runs.push(this.runRow(item, runId, started, { status: result.status, attempts: 1, steps: result.steps, finished: true }));
        return;
      case "suspended":
        this.hold(item, runId, started, outcome, { attempts: 0, nextAttemptAt: result.resumeAt, steps: completed(result.steps) });
        return;
      case "failed": {
        const error = { at: now.toISOString(), error: result.error.message, transient: result.error.transient, nodeId: result.failedNodeId, attempt: 1 };
        if (this.shouldRetry(result, 1, now)) {
          const delay = this.retryDelay(result, 1);
          this.hold(item, runId, started, outcome, {
            attempts: 1, nextAttemptAt: new Date(now.getTime() + delay), errors: [error], steps: completed(result.steps), firstFailedAt: now,
          });
          // hold() wrote the run as "retrying"; keep the error on it.
          const run = outcome.runs.find((r) => r.id === runId);
          if (run) { run.error = result.error.message.slice(0, MAX_RECORDED_ERROR); run.steps = result.steps; }
          return;
        }
        const dl = this.deadLetterRow(item.flow.flowId, item.flow.version, item.parsed, runId, result, [error]);
        outcome.deadLetters.push(dl);
        outcome.runs.push(this.runRow(item, runId, started, { status: "dead-lettered", attempts: 1, steps: result.steps, error: result.error.message, finished: true }));
        if (this.deps.catalog.policyOf(item.flow.flowId) === "hold") {
          this.state(item.flow.flowId, item.parsed.event.subject).deadLetterId = dl.id!;
        }
        return;
      }
    }
  }

  /** Retry-After when the system sent one (never beyond the max retry age), else the node's backoff. */
  private retryDelay(result: Extract<FlowRunResult, { status: "failed" }>, attempt: number): number {
    const { retryAfterMs } = result.error;
    if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 0), this.deps.maxRetryAgeMs);
    return retryDelayMs(retryPolicyFromResult(result), attempt);
  }

  private shouldRetry(result: Extract<FlowRunResult, { status: "failed" }>, attemptsSoFar: number, firstFailedAt: Date) {
    if (!result.error.transient) return false;
    if (result.error.systemDown && Date.now() - firstFailedAt.getTime() < this.deps.maxRetryAgeMs) return true;
    return attemptsSoFar < retryPolicyFromResult(result).attempts;
  }

  private deadLetterRow(flowId: string, flowVersion: number, parsed: ParsedEvent, runId: string, result: Extract<FlowRunResult, { status: "failed" }>, attempts: unknown[]): DeadLetterRow {
    return {
      id: randomUUID(), flowId, flowVersion, nodeId: result.failedNodeId, orderingKey: parsed.event.subject,
      eventId: parsed.event.id, eventType: parsed.event.type, event: parsed.event, headers: parsed.headers,
      attempts, error: result.error.message.slice(0, MAX_RECORDED_ERROR), traceId: traceIdOf(parsed.traceparent),
      runId, steps: completed(result.steps), sequence: parsed.sequence, partition: this.partition, status: "open",
    };
  }

  private async commitBatch(outcome: BatchOutcome, lastSeq: bigint) {
    const { pool, workerId } = this.deps;
    await this.withDbRetry(() => commitBatchRows(pool, workerId, this.lease, lastSeq, outcome));
    this.lease.cursor = lastSeq > this.lease.cursor ? lastSeq : this.lease.cursor;
  }

  private afterBatchCommit(outcome: BatchOutcome) {
    for (const [key, due] of outcome.newHeads) {
      const state = this.keys.get(key);
      if (state && state.busy === 0 && state.nextDue === undefined) state.nextDue = due;
    }
    for (const d of outcome.detached) this.track(this.finishDetached(d));
    if (outcome.newHeads.size) this.scheduleTick(0);
  }

  private async finishDetached(d: BatchOutcome["detached"][number]) {
    const state = this.keys.get(d.key)!;
    try {
      const result = await d.promise;
      const row = await this.deps.db.heldEvent.findFirst({ where: { partition: this.partition, runId: d.runId } });
      if (!row) return;
      await this.settleHeld(row, result, 1);
    } catch (error) {
      if (error instanceof LostLeaseError) return this.fail(error);
      this.deps.log(`partition ${this.partition}: detached run ${d.runId} could not be recorded; its lane retries it`, error);
      const st = this.keys.get(d.key);
      if (st) st.nextDue = Date.now() + 1_000;
    } finally {
      state.busy--;
      if (state.nextDue === undefined && state.held > 0 && state.deadLetterId === undefined) state.nextDue = Date.now();
      this.scheduleTick(0);
    }
  }

  // ---- lanes: draining a key's queue ---------------------------------------------------------------

  private scheduleTick(delayMs: number) {
    if (this.stopping) return;
    if (this.schedulerTimer && delayMs > 0) return;
    clearTimeout(this.schedulerTimer);
    this.schedulerTimer = setTimeout(() => {
      this.schedulerTimer = undefined;
      void this.tick().catch((error) => this.deps.log(`partition ${this.partition}: scheduler`, error)).finally(() => this.scheduleTick(250));
    }, delayMs);
  }

  /** Redrives, discards, and queue heads that came due. */
  private async tick() {
    if (this.stopping) return;
    await this.checkDeadLetters();
    const now = Date.now();
    for (const [key, state] of this.keys) {
      if (this.lanes.size >= this.maxLanes) break;
      if (state.busy > 0 || state.deadLetterId !== undefined || state.nextDue === undefined || state.nextDue > now) continue;
      this.startLane(key, state);
    }
  }

  /** Called by the worker when the web app signals a redrive or discard. */
  poke() {
    this.scheduleTick(0);
  }

  private async checkDeadLetters() {
    const { db } = this.deps;
    const redrives = await db.deadLetter.findMany({
      where: { partition: this.partition, status: "redrive-requested" },
      orderBy: { sequence: "asc" },
      take: 200,
    });
    for (const dl of redrives) {
      const state = this.state(dl.flowId, dl.orderingKey);
      if (state.busy > 0 || this.lanes.size >= this.maxLanes) continue;
      this.startLane(keyOf(dl.flowId, dl.orderingKey), state, dl);
    }
    const holding = [...this.keys.values()].filter((s) => s.deadLetterId !== undefined && s.busy === 0);
    if (holding.length === 0) return;
    const rows = await db.deadLetter.findMany({
      where: { id: { in: holding.map((s) => s.deadLetterId!) } },
      select: { id: true, status: true },
    });
    const status = new Map(rows.map((r) => [r.id, r.status]));
    for (const state of holding) {
      // No row yet means the batch that wrote it has not committed: still holding.
      const s = status.get(state.deadLetterId!);
      if (s === "discarded" || s === "redriven") {
        state.deadLetterId = undefined;
        if (state.held > 0) state.nextDue = Date.now();
        else this.forgetIfIdle(keyOf(state.flowId, state.orderingKey));
      }
    }
  }

  private startLane(key: string, state: KeyState, redrive?: Prisma.DeadLetterGetPayload<object>) {
    state.busy++;
    state.nextDue = undefined;
    this.track(
      this.lane(state, redrive)
        .catch((error) => {
          if (error instanceof LostLeaseError) return this.fail(error);
          this.deps.log(`partition ${this.partition}: lane ${state.flowId}/${state.orderingKey} failed; retrying soon`, error);
          state.nextDue = Date.now() + 1_000;
        })
        .finally(() => {
          state.busy--;
          this.forgetIfIdle(key);
        }),
    );
  }

  private track(promise: Promise<void>) {
    this.lanes.add(promise);
    void promise.finally(() => this.lanes.delete(promise));
  }

  private async lane(state: KeyState, redrive?: Prisma.DeadLetterGetPayload<object>) {
    const { db } = this.deps;
    if (redrive) {
      const done = await this.redrive(redrive);
      if (!done) return;
      if (state.deadLetterId === redrive.id) state.deadLetterId = undefined;
    }
    while (!this.stopping) {
      if (state.deadLetterId !== undefined) return;
      const row = await db.heldEvent.findFirst({
        where: { partition: this.partition, flowId: state.flowId, orderingKey: state.orderingKey },
        orderBy: { id: "asc" },
      });
      if (!row) {
        // Held rows decided in a batch that has not committed yet are counted but not visible.
        if (state.held > 0) state.nextDue = Date.now() + 20;
        return;
      }
      if (row.nextAttemptAt.getTime() > Date.now()) {
        state.nextDue = row.nextAttemptAt.getTime();
        return;
      }
      const flow = await this.deps.catalog.version(row.flowId, row.flowVersion);
      const attempt = row.attempts + 1;
      const result: FlowRunResult = flow
        ? await runFlow({
            flowId: row.flowId, flowVersion: row.flowVersion, document: flow.document, event: row.event as unknown as CloudEvent,
            traceparent: (row.event as { traceparent?: string }).traceparent ?? (row.headers as Record<string, string>).traceparent ?? "",
            attempt, completedSteps: row.steps as unknown as StepRecord[], services: this.deps.services, signal: this.abort.signal,
          })
        : missingFlowResult(row.flowId, row.flowVersion);
      const next = await this.settleHeld(row, result, attempt);
      if (next !== "continue") return;
    }
  }

  /**
   * Records the outcome of running a held event (the head of its key's queue). Returns
   * "continue" when the queue may move on to the next event.
   */
  private async settleHeld(row: Prisma.HeldEventGetPayload<object>, result: FlowRunResult, attempt: number): Promise<"continue" | "wait"> {
    const { db, workerId } = this.deps;
    const state = this.state(row.flowId, row.orderingKey);
    const parsed: ParsedEvent = {
      event: row.event as unknown as CloudEvent, headers: row.headers as Record<string, string>, sequence: row.sequence,
      traceparent: (row.event as { traceparent?: string }).traceparent ?? "",
    };
    const now = new Date();
    if (result.status === "succeeded" || result.status === "skipped") {
      await this.withDbRetry(() => db.$transaction(async (tx) => {
        await fenceAndAdvance(tx, workerId, this.lease);
        await tx.heldEvent.delete({ where: { id: row.id } });
        await tx.run.update({ where: { id: row.runId }, data: { status: result.status, attempts: Math.max(attempt, 1), steps: json(mergeSteps(row.steps, result.steps)), finishedAt: now, error: null } });
      }));
      state.held--;
      return "continue";
    }
    if (result.status === "suspended") {
      await this.withDbRetry(() => db.$transaction(async (tx) => {
        await fenceAndAdvance(tx, workerId, this.lease);
        await tx.heldEvent.update({ where: { id: row.id }, data: { nextAttemptAt: result.resumeAt, steps: json(mergeSteps(row.steps, completed(result.steps))) } });
        await tx.run.update({ where: { id: row.runId }, data: { status: "held", steps: json(mergeSteps(row.steps, result.steps)) } });
      }));
      state.nextDue = result.resumeAt.getTime();
      return "wait";
    }
    const errors = [...((row.errors as unknown[]) ?? []), { at: now.toISOString(), error: result.error.message, transient: result.error.transient, nodeId: result.failedNodeId, attempt }];
    const firstFailedAt = row.firstFailedAt ?? now;
    const steps = mergeSteps(row.steps, completed(result.steps));
    if (this.shouldRetry(result, attempt, firstFailedAt)) {
      const delay = this.retryDelay(result, attempt);
      const nextAttemptAt = new Date(now.getTime() + delay);
      await this.withDbRetry(() => db.$transaction(async (tx) => {
        await fenceAndAdvance(tx, workerId, this.lease);
        await tx.heldEvent.update({ where: { id: row.id }, data: { attempts: attempt, errors: json(errors), nextAttemptAt, firstFailedAt, steps: json(steps) } });
        await tx.run.update({ where: { id: row.runId }, data: { status: "retrying", attempts: attempt, error: result.error.message.slice(0, MAX_RECORDED_ERROR), steps: json(mergeSteps(row.steps, result.steps)) } });
      }));
      state.nextDue = nextAttemptAt.getTime();
      return "wait";
    }
    const dl = this.deadLetterRow(row.flowId, row.flowVersion, parsed, row.runId, result, errors);
    dl.steps = steps;
    dl.headers = row.headers;
    await this.withDbRetry(() => db.$transaction(async (tx) => {
      await fenceAndAdvance(tx, workerId, this.lease);
      await tx.heldEvent.delete({ where: { id: row.id } });
      await tx.deadLetter.create({ data: { ...dl, event: json(dl.event), headers: json(dl.headers), attempts: json(dl.attempts), steps: json(dl.steps) } });
      await tx.run.update({ where: { id: row.runId }, data: { status: "dead-lettered", attempts: attempt, finishedAt: now, error: result.error.message.slice(0, MAX_RECORDED_ERROR), steps: json(mergeSteps(row.steps, result.steps)) } });
    }));
    state.held--;
    if (this.deps.catalog.policyOf(row.flowId) === "hold") {
      state.deadLetterId = dl.id;
      return "wait";
    }
    return "continue";
  }

  /** Runs a dead letter again (with its possibly edited event). Returns true when it succeeded. */
  private async redrive(dl: Prisma.DeadLetterGetPayload<object>): Promise<boolean> {
    const { db, workerId } = this.deps;
    const flow = await this.deps.catalog.version(dl.flowId, dl.flowVersion);
    const previous = (dl.attempts as unknown[]) ?? [];
    const attempt = previous.length + 1;
    const event = dl.event as unknown as CloudEvent;
    const result: FlowRunResult = flow
      ? await runFlow({
          flowId: dl.flowId, flowVersion: dl.flowVersion, document: flow.document, event,
          traceparent: event.traceparent ?? (dl.headers as Record<string, string>).traceparent ?? "",
          attempt, completedSteps: dl.steps as unknown as StepRecord[], services: this.deps.services, signal: this.abort.signal,
        })
      : missingFlowResult(dl.flowId, dl.flowVersion);
    const now = new Date();
    const ok = result.status === "succeeded" || result.status === "skipped";
    const attempts = ok ? previous : [...previous, { at: now.toISOString(), error: result.status === "failed" ? result.error.message : "suspended", transient: result.status === "failed" ? result.error.transient : false, nodeId: result.status === "failed" ? result.failedNodeId : undefined, attempt, redrive: true }];
    await this.withDbRetry(() => db.$transaction(async (tx) => {
      await fenceAndAdvance(tx, workerId, this.lease);
      const updated = await tx.deadLetter.updateMany({
        where: { id: dl.id, status: "redrive-requested" },
        data: ok ? { status: "redriven" } : { status: "open", attempts: json(attempts), error: result.status === "failed" ? result.error.message.slice(0, MAX_RECORDED_ERROR) : "the flow suspended during a redrive" },
      });
      if (updated.count === 1 && dl.runId) {
        await tx.run.updateMany({
          where: { id: dl.runId },
          data: ok
            ? { status: result.status, attempts: attempt, finishedAt: now, error: null, steps: json(mergeSteps(dl.steps, result.steps)) }
            : { attempts: attempt, error: result.status === "failed" ? result.error.message.slice(0, MAX_RECORDED_ERROR) : null },
        });
      }
    }));
    return ok;
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  /**
   * Database outages must not lose work: keep retrying the write (the batch stays unacked in
   * JetStream meanwhile). A lost lease is final for this processor.
   */
  private async withDbRetry<T>(fn: () => Promise<T>): Promise<T> {
    let delay = 200;
    for (;;) {
      try {
        return await fn();
      } catch (error) {
        if (error instanceof LostLeaseError || this.stopping) throw error;
        this.deps.log(`partition ${this.partition}: database write failed, retrying in ${delay} ms`, (error as Error).message);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  private fail(error: unknown) {
    if (this.stopping) return;
    this.deps.log(`partition ${this.partition}: stopping (${(error as Error)?.message ?? error})`);
    void this.stop().then(() => this.onLost?.(this.partition));
  }

  /** Events waiting in the stream for this partition. */
  async lag(): Promise<number> {
    try {
      const info = await this.deps.jsm.consumers.info(eventsStreamName(this.deps.layout), this.consumerName);
      return info.num_pending + info.num_ack_pending;
    } catch {
      return 0;
    }
  }

  /** Stops taking new events, lets the current batch commit, and gives lanes a moment to finish. */
  async stop(graceMs = 10_000) {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.schedulerTimer);
    await this.messages?.close().catch(() => undefined);
    await this.loopDone?.catch(() => undefined);
    const lanes = Promise.allSettled([...this.lanes]);
    const timedOut = await Promise.race([lanes.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs))]);
    if (timedOut) {
      // In-flight lane work is abandoned uncommitted; the next owner runs it again with the
      // same idempotency keys.
      this.abort.abort();
      await lanes;
    }
  }
}

function completed(steps: StepRecord[]): StepRecord[] {
  return steps.filter((s) => s.status === "succeeded" || s.status === "skipped" || s.status === "suspended");
}

function mergeSteps(previous: unknown, next: StepRecord[]): StepRecord[] {
  const before = (Array.isArray(previous) ? previous : []) as StepRecord[];
  const ids = new Set(next.map((s) => s.nodeId));
  return [...before.filter((s) => !ids.has(s.nodeId)), ...next];
}

function missingFlowResult(flowId: string, version: number): FlowRunResult {
  return {
    status: "failed", steps: [], failedNodeId: "",
    error: { message: `flow ${flowId} version ${version} no longer exists`, transient: false, systemDown: false },
    retryPolicy: { attempts: 1, initialBackoffMs: 1000, maxBackoffMs: 1000, jitter: 0 } as RetryPolicy,
  };
}
