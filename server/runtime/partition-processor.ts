import "server-only";
import { rerunTargetOf } from "@/server/events/rerun-target";
import { eventIsForFlow } from "@/server/events/system-events";
import { randomUUID } from "node:crypto";
import { AckPolicy, DeliverPolicy, type Consumer, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { setMaxListeners } from "node:events";
import type { Pool } from "pg";
import type { PrismaClient } from "@/server/db/generated/client";
import type { ExecutionServices } from "@/server/nodes/define-executor";
import { consumeInBatches, readEventMessage } from "./batch-intake";
import { isDataError, withDbRetry } from "./db-retry";
import type { CatalogFlow, FlowCatalog } from "./flow-catalog";
import { KeyLanes, keyOf, MAX_WORKER_DEATHS } from "./key-lanes";
import type { Lease } from "./partition-leases";
import { storable, type RuntimeEvent, type RunTarget } from "./outcome-rows";
import { commitOutcome, type OutcomeRows } from "./outcome-writer";
import { lookUpBatch } from "./batch-lookup";
import { commitInGroup } from "./group-commit";
import type { FlowRunner } from "./redrive";
import { runFlow, type FlowRunResult } from "./run-flow";
import { crashLoopInlineRows, inlineRows, queuedRows, refusedInlineRows, type InlineRows } from "./run-outcomes";
import { eventsStreamName, partitionSubjectFilter, type StreamLayout } from "./stream-layout";

// One owned partition of the event stream. New events arrive in batches (batch-intake.ts) from a
// durable consumer that starts right after the partition's committed cursor. Per (flow, ordering
// key):
//   - if nothing of that key is waiting, the event runs at once (keys in parallel, a key in order);
//   - if something is (a retry, a delay, a dead letter under the hold policy), the event is
//     appended to the key's durable queue (HeldEvent) and acked; its key lane (key-lanes.ts)
//     drains that queue in order when it is due.
// A batch's outcomes (runs, processed-event records, held events, dead letters) and the cursor
// are committed in one fenced statement (outcome-writer.ts), shared with the other partitions'
// batches of the same turn (group-commit.ts); only then is the batch acked.
// Commits are pipelined one deep: batch N+1 is read and run while batch N's commit is in flight,
// and N+1's commit starts only after N's ended, so commits, acks and cursors stay in stream
// order. A key's order is kept in memory as before (a key with a queued or detached event in an
// uncommitted batch is already blocked), and the pairs of the uncommitted batch count as
// processed for the dedup check. If a commit fails the partition stops, as it did when the
// commit was awaited: the next owner starts after the last committed cursor.
//
// Crash loops: an event that kills its worker while running inline (before anything of it was
// committed) comes back to the next owner, uncommitted. So after taking over from an owner that
// died, a processor runs the events the dead owner may have had in flight one at a time, noting
// each in the partition row before running it. An owner that dies with an event noted adds one to
// its death count; at MAX_WORKER_DEATHS the event is dead-lettered ("worker died while running
// this event N times") instead of run again, and the partition moves on. Slow runs that detach
// are counted by their key lane (key-lanes.ts) instead. Careful mode does not pipeline: each
// event's commit ends before the next one is noted.

/**
 * Events per batch, and per pull from the server. Up to four batches of a partition are in memory
 * under a backlog (pulled, buffered, running, committing), so with 16 partitions 500 kept up to
 * 32,000 events in the worker; at 200 its peak RSS under the bench's backlog fell by ~45 MB
 * (336 → 275–291 MB) at the same CPU per event: a batch's fixed cost is small next to 200 runs.
 */
const DEFAULT_BATCH_SIZE = 200;

export interface ProcessorDeps {
  db: PrismaClient;
  /** Plain pg pool for the runtime's writes (see outcome-writer.ts). */
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
  /** How often the key lanes look at dead letters without a poke (key-lanes.ts DEAD_LETTER_POLL_MS). */
  deadLetterPollMs?: number;
  log: (message: string, extra?: unknown) => void;
}

interface WorkItem {
  event: RuntimeEvent;
  flow: CatalogFlow;
  key: string;
}

/** A batch's rows, plus what to do once they are committed. */
interface BatchOutcome {
  rows: Required<Pick<OutcomeRows, "runs" | "processed" | "held" | "deadLetters">>;
  /** Keys whose queue gained a head in this batch: (key, due). */
  newHeads: Map<string, number>;
  /** Inline runs that were too slow: finished by their lane once the detached head is committed. */
  detached: { item: WorkItem; runId: string; running: Promise<FlowRunResult> }[];
  /** Each event's share of `rows`, in batch order: what is committed one by one if the database refuses the batch. */
  parts: { item: WorkItem; target: RunTarget; started: Date; rows: InlineRows }[];
}

export class PartitionProcessor {
  readonly partition: number;
  private readonly lanes: KeyLanes;
  private readonly consumerName: string;
  private messages?: ConsumerMessages;
  private stopping = false;
  /** Set after taking over from an owner that died: events up to `through` run one at a time. */
  private careful?: { through: bigint; suspect?: bigint; deaths: number };
  private loopDone?: Promise<void>;
  /** The commit of the previous batch, still in flight while the next batch runs. */
  private committing: Promise<void> = Promise.resolve();
  /** (event, flow) pairs of that batch: not in ProcessedEvent until it commits. */
  private uncommitted = new Set<string>();
  private readonly abort = new AbortController();
  /** Called when the lease turned out to be lost; the worker drops this processor. */
  onLost?: (partition: number) => void;

  constructor(private readonly deps: ProcessorDeps, private readonly lease: Lease) {
    this.partition = lease.partition;
    // Every in-flight step listens to this signal; hundreds at a time is expected, not a leak.
    setMaxListeners(0, this.abort.signal);
    this.consumerName = `${eventsStreamName(deps.layout)}_p${lease.partition}`;
    this.lanes = new KeyLanes({
      partition: lease.partition, db: deps.db, catalog: deps.catalog, maxRetryAgeMs: deps.maxRetryAgeMs,
      isStopping: () => this.stopping,
      commit: (rows) => this.commit(rows),
      runFlow: this.runFlow,
      lost: (error) => this.fail(error),
      log: deps.log,
      deadLetterPollMs: deps.deadLetterPollMs,
    });
  }

  get cursor() {
    return this.lease.cursor;
  }

  async start() {
    await this.lanes.load();
    const died = this.lease.ownerDied;
    if (died) {
      // The dead owner can only have had events in flight that were in the stream already.
      const info = await this.deps.jsm.streams.info(eventsStreamName(this.deps.layout));
      const noted = died.runningSequence !== null && died.runningSequence === this.lease.cursor + 1n;
      this.careful = { through: BigInt(info.state.last_seq), suspect: noted ? died.runningSequence! : undefined, deaths: noted ? died.runningDeaths + 1 : 0 };
    }
    const consumer = await this.resetConsumer();
    // One batch pulled ahead from the server, one buffered by the intake (batch-intake.ts): what a
    // backlog holds in memory per partition, besides the batch running and the one committing.
    const batchSize = this.deps.batchSize ?? DEFAULT_BATCH_SIZE;
    this.messages = await consumer.consume({ max_messages: batchSize });
    this.loopDone = consumeInBatches(this.messages, batchSize, () => this.stopping, (batch) => this.processBatch(batch))
      .catch((error) => this.fail(error));
    this.lanes.schedule(0);
  }

  /** Called by the worker when the web app signals a redrive or discard. */
  poke() {
    this.lanes.poke();
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

  private readonly runFlow: FlowRunner = (input) => runFlow({ ...input, services: this.deps.services, signal: this.abort.signal });

  /** Every write of this partition: fenced by the lease, retried while the database is away. */
  private async commit(rows: OutcomeRows) {
    await this.retried(() => commitOutcome(this.deps.pool, this.deps.workerId, this.lease, rows));
    this.committedThrough(rows.cursor);
  }

  /** A commit that moved the cursor went through: the lease's cursor follows (never back). */
  private committedThrough(cursor: bigint | undefined) {
    if (cursor !== undefined && cursor > this.lease.cursor) this.lease.cursor = cursor;
  }

  /** A read or write of this partition, retried while the database is away (db-retry.ts). */
  private retried<T>(fn: () => Promise<T>): Promise<T> {
    return withDbRetry(fn, { isStopping: () => this.stopping, log: (message) => this.deps.log(`partition ${this.partition}: ${message}`) });
  }

  private read(msg: JsMsg): RuntimeEvent | undefined {
    try {
      return readEventMessage(msg);
    } catch (error) {
      this.deps.log(`partition ${this.partition}: skipping unreadable message ${msg.seq}`, error);
      return undefined;
    }
  }

  private async processBatch(msgs: JsMsg[]) {
    if (!this.careful) return this.processMessages(msgs);
    for (const msg of msgs) {
      const seq = BigInt(msg.seq);
      await this.committing;
      if (this.careful && seq <= this.careful.through && seq > this.lease.cursor) await this.processCarefully(msg, seq, this.careful);
      else await this.processMessages([msg]);
      await this.committing;
      if (this.careful && this.lease.cursor >= this.careful.through) this.careful = undefined;
    }
  }

  /** One event after a worker death: noted before it runs, or dead-lettered if it keeps killing workers. */
  private async processCarefully(msg: JsMsg, seq: bigint, careful: { suspect?: bigint; deaths: number }) {
    const deaths = careful.suspect === seq ? careful.deaths : 0;
    if (deaths < MAX_WORKER_DEATHS) {
      await this.commit({ running: { sequence: seq, deaths } });
      return this.processMessages([msg]);
    }
    this.deps.log(`partition ${this.partition}: event at sequence ${seq} was running each of the last ${deaths} times a worker died; dead-lettering it`);
    const { items } = await this.workItems([msg]);
    const at = new Date();
    const crashed = items.map((item) => ({
      item,
      rows: crashLoopInlineRows({ flowId: item.flow.flowId, flowVersion: item.flow.version, runId: randomUUID(), partition: this.partition }, item.event, at, deaths),
    }));
    await this.commit({
      cursor: seq,
      runs: crashed.map((c) => c.rows.run),
      processed: items.map((item) => ({ eventId: item.event.event.id, flowId: item.flow.flowId })),
      deadLetters: crashed.map((c) => c.rows.deadLetter!),
    });
    for (const { item, rows } of crashed) this.lanes.noteDeadLetter(item.flow.flowId, item.event.event.subject, rows.deadLetter!.id);
    msg.ack();
  }

  /**
   * The (event, flow) pairs of fresh messages that have not run yet, each recorded as processed.
   * One read (batch-lookup.ts) answers both what must be known first: the pairs that already ran,
   * and the flow catalog's fingerprint — read after every message of the batch arrived, so a flow
   * enabled before any of them was published is in the catalog before they are matched against it
   * (decisions 0021, 0039).
   */
  private async workItems(fresh: JsMsg[]): Promise<{ items: WorkItem[] }> {
    const events: RuntimeEvent[] = [];
    for (const msg of fresh) {
      const event = this.read(msg);
      if (event) events.push(event);
    }
    if (events.length === 0) return { items: [] };
    // Taken as the lookup starts: a pair of the previous batch is either still in here or
    // committed before the lookup began, so it is seen either way. (The set is replaced, never
    // changed in place, when that batch commits.) Pairs of this batch join it below.
    const seen = new Set(this.uncommitted);
    const lookup = await this.retried(() => lookUpBatch(this.deps.pool, events.map((e) => e.event.id)));
    await this.retried(() => this.deps.catalog.coverWith(lookup.catalogFingerprint));
    const candidates: WorkItem[] = [];
    for (const event of events) {
      for (const flow of await this.flowsOf(event)) {
        if (!eventIsForFlow(event.event, flow.flowId)) continue; // a webhook call or tick is for its own flow only
        candidates.push({ event, flow, key: keyOf(flow.flowId, event.event.subject) });
      }
    }
    const items: WorkItem[] = [];
    for (const item of candidates) {
      const id = `${item.event.event.id}\u0000${item.flow.flowId}`;
      if (lookup.processed.has(id) || seen.has(id)) continue; // a re-sent id beyond the duplicate window
      seen.add(id);
      items.push(item);
    }
    return { items };
  }

  private async processMessages(msgs: JsMsg[]) {
    const fresh = msgs.filter((m) => BigInt(m.seq) > this.lease.cursor);
    const lastSeq = BigInt(msgs[msgs.length - 1]!.seq);
    const outcome: BatchOutcome = { rows: { runs: [], processed: [], held: [], deadLetters: [] }, newHeads: new Map(), detached: [], parts: [] };

    const { items } = await this.workItems(fresh);
    const groups = new Map<string, WorkItem[]>();
    for (const item of items) {
      outcome.rows.processed.push({ eventId: item.event.event.id, flowId: item.flow.flowId });
      const group = groups.get(item.key);
      if (group) group.push(item);
      else groups.set(item.key, [item]);
    }
    await Promise.all([...groups.values()].map((group) => this.processGroup(group, outcome)));

    // One commit in flight at a time: wait for the previous batch's (throws if it failed), then
    // start this one's and go on reading the next batch while it runs.
    await this.committing;
    const pairs = new Set(outcome.rows.processed.map((p) => `${p.eventId}\u0000${p.flowId}`));
    this.uncommitted = pairs;
    const committing = this.commitBatch(msgs, outcome, lastSeq).finally(() => {
      if (this.uncommitted === pairs) this.uncommitted = new Set();
    });
    this.committing = committing;
    // Seen by the next batch, or by stop(); this only keeps an idle partition's failure from going unnoticed.
    committing.catch((error) => this.fail(error));
  }

  private async commitBatch(msgs: JsMsg[], outcome: BatchOutcome, lastSeq: bigint) {
    try {
      // Together with the other partitions' batches of this turn (group-commit.ts).
      await this.retried(() => commitInGroup(this.deps.pool, this.deps.workerId, this.lease, { ...outcome.rows, cursor: lastSeq }));
      this.committedThrough(lastSeq);
    } catch (error) {
      if (!isDataError(error)) throw error;
      await this.commitEventByEvent(outcome, lastSeq);
    }
    msgs[msgs.length - 1]!.ack();
    this.lanes.headsCommitted(outcome.newHeads);
    for (const d of outcome.detached) this.lanes.detach(d.item.flow.flowId, d.item.event.event.subject, d.runId, d.running);
  }

  /** The flows an event runs in: a rerun only in the flow version it is pinned to, any other event in every flow listening to its type. */
  private async flowsOf(e: RuntimeEvent): Promise<readonly CatalogFlow[]> {
    const rerun = rerunTargetOf(e.event);
    if (!rerun) return this.deps.catalog.flowsFor(e.event.type);
    const pinned = await this.retried(() => this.deps.catalog.version(rerun.flowId, rerun.version));
    return pinned ? [pinned] : [];
  }

  /** A key's events of one batch, in order: each runs inline unless the key has something waiting. */
  private async processGroup(group: WorkItem[], outcome: BatchOutcome) {
    for (const item of group) {
      const { flow, event } = item;
      const target: RunTarget = { flowId: flow.flowId, flowVersion: flow.version, runId: randomUUID(), partition: this.partition };
      const started = new Date();
      if (this.lanes.isBlocked(flow.flowId, event.event.subject)) {
        this.add(item, target, started, outcome, queuedRows(target, event, started, "queued"));
        continue;
      }
      const state = this.lanes.state(flow.flowId, event.event.subject);
      state.busy++;
      const running = this.runFlow({
        flowId: flow.flowId, flowVersion: flow.version, document: flow.document, event: event.event, traceparent: event.traceparent, traceHeaders: event.headers, attempt: 1,
      });
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        running,
        new Promise<"slow">((resolve) => (timer = setTimeout(() => resolve("slow"), this.deps.inlineBudgetMs ?? 2_000))),
      ]);
      clearTimeout(timer);
      if (result === "slow") {
        // Keep the batch moving: the event becomes its key's detached head; the run's outcome
        // settles it when it ends. Later events of the key queue up behind it.
        this.add(item, target, started, outcome, queuedRows(target, event, started, "detached"));
        outcome.detached.push({ item, runId: target.runId, running });
        continue;
      }
      state.busy--;
      this.add(item, target, started, outcome, inlineRows(target, event, started, new Date(), result, this.deps.maxRetryAgeMs));
      this.lanes.forgetIfIdle(flow.flowId, event.event.subject);
    }
  }

  private add(item: WorkItem, target: RunTarget, started: Date, outcome: BatchOutcome, rows: InlineRows) {
    const { flowId } = item.flow;
    const { subject } = item.event.event;
    outcome.parts.push({ item, target, started, rows });
    outcome.rows.runs.push(rows.run);
    if (rows.held) {
      if (this.lanes.noteQueued(flowId, subject)) outcome.newHeads.set(item.key, rows.held.nextAttemptAt.getTime());
      outcome.rows.held.push(rows.held);
    }
    if (rows.deadLetter) {
      outcome.rows.deadLetters.push(rows.deadLetter);
      this.lanes.noteDeadLetter(flowId, subject, rows.deadLetter.id);
    }
  }

  /**
   * The database refused the batch as data (a row it cannot store): commits it event by event so
   * that only the events whose rows are refused are dead-lettered, with the database's message,
   * and the partition moves on. Rare, so the extra round trips do not matter.
   */
  private async commitEventByEvent(outcome: BatchOutcome, lastSeq: bigint) {
    const processed = new Set<string>();
    for (const { item, target, started, rows } of outcome.parts) {
      const pair = `${item.event.event.id}\u0000${item.flow.flowId}`;
      const record = processed.has(pair) ? [] : [{ eventId: item.event.event.id, flowId: item.flow.flowId }];
      processed.add(pair);
      const own = { runs: [rows.run], processed: record, held: rows.held ? [rows.held] : [], deadLetters: rows.deadLetter ? [rows.deadLetter] : [] };
      try {
        await this.commit(own);
      } catch (error) {
        if (!isDataError(error)) throw error;
        this.deps.log(`partition ${this.partition}: the database refused the outcome of event ${item.event.event.id}; dead-lettering it`, error.message);
        const refused = refusedInlineRows(target, item.event, started, new Date(), error);
        await this.commit({ runs: [refused.run], processed: storable(record), deadLetters: [refused.deadLetter!] });
        const { flowId } = item.flow;
        const { subject } = item.event.event;
        if (rows.held) this.lanes.forgetQueued(flowId, subject, item.key, outcome.newHeads);
        this.lanes.noteDeadLetter(flowId, subject, refused.deadLetter!.id);
      }
    }
    await this.commit({ cursor: lastSeq });
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
    await this.messages?.close().catch(() => undefined);
    await this.loopDone?.catch(() => undefined);
    await this.committing.catch(() => undefined);
    if (!(await this.lanes.stop(graceMs))) {
      // In-flight lane work is abandoned uncommitted; the next owner runs it again with the
      // same idempotency keys.
      this.abort.abort();
      await this.lanes.settled();
    }
  }
}
