import type { PrismaClient } from "@/server/db/generated/client";
import type { FlowCatalog } from "./flow-catalog";
import { LostLeaseError } from "./partition-leases";
import { crashLoopResult, missingFlowResult, storedEvent, workerDeaths } from "./outcome-rows";
import type { OutcomeRows } from "./outcome-writer";
import { redriveDeadLetter, requestedDeadLetters, type FlowRunner } from "./redrive";
import type { FlowRunResult, StepRecord } from "./run-flow";
import { discardedHeldRows, heldRows, refusedHeldRows, refusedRedriveRows, type DeadLetterRow, type KeyEffect } from "./run-outcomes";
import { isDataError } from "./db-retry";

// The key-lane scheduler of one partition. Per (flow, ordering key) it knows whether anything is
// waiting (events in the key's durable queue, HeldEvent; an open dead letter under the hold
// policy). A "lane" drains a key's queue in order when its head is due; at most one lane per key
// runs at a time, which is what keeps a key in order while different keys run in parallel.

export interface KeyState {
  flowId: string;
  orderingKey: string;
  /** Events of this key waiting in HeldEvent (counted when decided, before the commit lands). */
  held: number;
  /** When the head of the queue is due, if known. */
  nextDue?: number;
  /** An open dead letter that holds the key (hold policy). */
  deadLetterId?: string;
  /** A lane is working on this key (or an inline or detached run is in flight). */
  busy: number;
}

export interface LaneContext {
  partition: number;
  db: PrismaClient;
  catalog: FlowCatalog;
  maxRetryAgeMs: number;
  isStopping: () => boolean;
  /** Commits through the outcome writer, fenced by the lease, retried while the database is away. */
  commit: (rows: OutcomeRows) => Promise<void>;
  runFlow: FlowRunner;
  /** The lease is lost: the processor stops. */
  lost: (error: LostLeaseError) => void;
  log: (message: string, extra?: unknown) => void;
  /** How often dead letters are looked at without a poke (DEAD_LETTER_POLL_MS by default). */
  deadLetterPollMs?: number;
}

export function keyOf(flowId: string, orderingKey: string) {
  return `${flowId}\u0000${orderingKey}`;
}

const MAX_LANES = 256;
/**
 * A redrive or discard asked for in the UI reaches the owning partition as a poke (worker-notifier.ts)
 * and is looked at in the next tick; without one (the poke is best effort) the lanes look this often.
 * Looking every tick instead was most of an idle worker's queries: a few per partition every 250 ms.
 */
export const DEAD_LETTER_POLL_MS = 1_000;
/** A detached event whose worker died this many times is dead-lettered instead of run again. */
export const MAX_WORKER_DEATHS = 3;

export class KeyLanes {
  private readonly keys = new Map<string, KeyState>();
  private readonly lanes = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  /** When the next tick looks at dead letters; 0 (the first tick, or after a poke) is at once. */
  private deadLettersDueAt = 0;

  constructor(private readonly ctx: LaneContext) {}

  /** Rebuilds what is waiting from the database at take-over. */
  async load() {
    const { db, partition } = this.ctx;
    const counts = await db.$queryRaw<{ flowId: string; orderingKey: string; n: bigint }[]>`
      SELECT "flowId", "orderingKey", count(*) AS n
      FROM "HeldEvent" WHERE "partition" = ${partition} GROUP BY "flowId", "orderingKey"`;
    for (const row of counts) {
      // Due at once: the lane reads the real due time of the head. A `detached` head was being run
      // by the previous owner when it stopped; nobody runs it now, so the lane runs it again.
      this.keys.set(keyOf(row.flowId, row.orderingKey), {
        flowId: row.flowId, orderingKey: row.orderingKey, held: Number(row.n), nextDue: Date.now(), busy: 0,
      });
    }
    const open = await db.deadLetter.findMany({
      where: { partition, status: { in: ["open", "redrive-requested", "discard-requested"] } },
      select: { id: true, flowId: true, orderingKey: true },
      orderBy: { sequence: "asc" },
    });
    for (const dl of open) {
      if (this.ctx.catalog.policyOf(dl.flowId) !== "hold") continue;
      this.state(dl.flowId, dl.orderingKey).deadLetterId ??= dl.id;
    }
  }

  state(flowId: string, orderingKey: string): KeyState {
    const key = keyOf(flowId, orderingKey);
    let state = this.keys.get(key);
    if (!state) {
      state = { flowId, orderingKey, held: 0, busy: 0 };
      this.keys.set(key, state);
    }
    return state;
  }

  /** Something of this key is waiting: a new event must queue up behind it. */
  isBlocked(flowId: string, orderingKey: string): boolean {
    const state = this.keys.get(keyOf(flowId, orderingKey));
    return !!state && (state.held > 0 || state.deadLetterId !== undefined);
  }

  /** Counts an event queued by a batch; returns true when it is the key's new head. */
  noteQueued(flowId: string, orderingKey: string): boolean {
    const state = this.state(flowId, orderingKey);
    const head = state.held === 0 && state.deadLetterId === undefined;
    state.held++;
    return head;
  }

  /** Takes back noteQueued() for an event whose queued row was never written. */
  forgetQueued(flowId: string, orderingKey: string, key: string, heads: Map<string, number>) {
    const state = this.state(flowId, orderingKey);
    state.held = Math.max(0, state.held - 1);
    if (state.held === 0) heads.delete(key);
  }

  /** A batch dead-lettered an event of this key: under the hold policy the key waits for the letter. */
  noteDeadLetter(flowId: string, orderingKey: string, deadLetterId: string) {
    if (this.ctx.catalog.policyOf(flowId) === "hold") this.state(flowId, orderingKey).deadLetterId = deadLetterId;
  }

  forgetIfIdle(flowId: string, orderingKey: string) {
    const key = keyOf(flowId, orderingKey);
    const state = this.keys.get(key);
    if (state && state.held === 0 && state.deadLetterId === undefined && state.busy === 0) this.keys.delete(key);
  }

  /** After a batch committed: the new heads it queued become due (unless a run of theirs is in flight). */
  headsCommitted(heads: Map<string, number>) {
    for (const [key, due] of heads) {
      const state = this.keys.get(key);
      if (state && state.busy === 0 && state.nextDue === undefined) state.nextDue = due;
    }
    if (heads.size) this.schedule(0);
  }

  /**
   * A first run that outlasted the inline budget: its event is committed as the key's `detached`
   * head; when the run ends its outcome settles that head like any try of a queued event.
   */
  detach(flowId: string, orderingKey: string, runId: string, running: Promise<FlowRunResult>) {
    const state = this.state(flowId, orderingKey);
    this.track(
      (async () => {
        try {
          const result = await running;
          const row = await this.ctx.db.heldEvent.findFirst({ where: { partition: this.ctx.partition, runId } });
          if (row) this.applyEffect(state, await this.settle(row, result, 1));
        } catch (error) {
          if (error instanceof LostLeaseError) return this.ctx.lost(error);
          this.ctx.log(`partition ${this.ctx.partition}: detached run ${runId} could not be recorded; its lane runs it again`, error);
          state.nextDue = Date.now() + 1_000;
        } finally {
          state.busy--;
          if (state.nextDue === undefined && state.held > 0 && state.deadLetterId === undefined) state.nextDue = Date.now();
          this.schedule(0);
        }
      })(),
    );
  }

  /** The web app asked for a redrive or discard in this partition: look at dead letters now. */
  poke() {
    this.deadLettersDueAt = 0;
    this.schedule(0);
  }

  schedule(delayMs: number) {
    if (this.ctx.isStopping()) return;
    if (this.timer && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick().catch((error) => this.ctx.log(`partition ${this.ctx.partition}: scheduler`, error)).finally(() => this.schedule(250));
    }, delayMs);
  }

  /** Stops scheduling; resolves when the lanes in flight have ended or `graceMs` passed (true if they ended). */
  async stop(graceMs: number): Promise<boolean> {
    clearTimeout(this.timer);
    const lanes = Promise.allSettled([...this.lanes]);
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([lanes.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
    clearTimeout(timer);
    return ended;
  }

  async settled() {
    await Promise.allSettled([...this.lanes]);
  }

  /** Redrives, discards, and queue heads that came due. */
  private async tick() {
    if (this.ctx.isStopping()) return;
    if (Date.now() >= this.deadLettersDueAt) {
      // Set before looking, so a poke that arrives while the query runs gets a look of its own.
      this.deadLettersDueAt = Date.now() + (this.ctx.deadLetterPollMs ?? DEAD_LETTER_POLL_MS);
      // A request whose key was busy is looked at again in the next tick.
      if (!(await this.checkDeadLetters())) this.deadLettersDueAt = 0;
    }
    const now = Date.now();
    for (const state of this.keys.values()) {
      if (this.lanes.size >= MAX_LANES) break;
      if (state.busy > 0 || state.deadLetterId !== undefined || state.nextDue === undefined || state.nextDue > now) continue;
      this.startLane(state);
    }
  }

  /** Starts the requested redrives and discards and releases keys whose letter was settled; false if a request had to wait. */
  private async checkDeadLetters(): Promise<boolean> {
    let started = true;
    for (const dl of await requestedDeadLetters(this.ctx.db, this.ctx.partition)) {
      const state = this.state(dl.flowId, dl.orderingKey);
      if (state.busy > 0 || this.lanes.size >= MAX_LANES) {
        started = false;
        continue;
      }
      this.startLane(state, dl.status === "redrive-requested" ? { redrive: dl } : { discard: dl });
    }
    const holding = [...this.keys.values()].filter((s) => s.deadLetterId !== undefined && s.busy === 0);
    if (holding.length === 0) return started;
    const rows = await this.ctx.db.deadLetter.findMany({
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
        else this.forgetIfIdle(state.flowId, state.orderingKey);
      }
    }
    return started;
  }

  private startLane(state: KeyState, request: { redrive?: DeadLetterRow; discard?: DeadLetterRow } = {}) {
    state.busy++;
    state.nextDue = undefined;
    this.track(
      this.lane(state, request)
        .catch((error) => {
          if (error instanceof LostLeaseError) return this.ctx.lost(error);
          this.ctx.log(`partition ${this.ctx.partition}: lane ${state.flowId}/${state.orderingKey} failed; retrying soon`, error);
          state.nextDue = Date.now() + 1_000;
        })
        .finally(() => {
          state.busy--;
          this.forgetIfIdle(state.flowId, state.orderingKey);
        }),
    );
  }

  private track(promise: Promise<void>) {
    this.lanes.add(promise);
    void promise.finally(() => this.lanes.delete(promise));
  }

  private async lane(state: KeyState, { redrive, discard }: { redrive?: DeadLetterRow; discard?: DeadLetterRow }) {
    const { db, partition } = this.ctx;
    if (discard) {
      // Drops the events held when the discard was asked for; later ones run below, in order.
      const held = discard.discardHeldThrough === null ? [] : await db.heldEvent.findMany({
        where: { partition, flowId: state.flowId, orderingKey: state.orderingKey, sequence: { lte: discard.discardHeldThrough } },
        orderBy: { id: "asc" },
      });
      await this.ctx.commit(discardedHeldRows(discard, held, new Date()));
      state.held = Math.max(0, state.held - held.length);
      if (state.deadLetterId === discard.id) state.deadLetterId = undefined;
    }
    if (redrive) {
      const { rows, ok, attempt } = await redriveDeadLetter(redrive, this.ctx.catalog, this.ctx.runFlow);
      try {
        await this.ctx.commit(rows);
      } catch (error) {
        if (!isDataError(error)) throw error;
        await this.ctx.commit(refusedRedriveRows(redrive, attempt, new Date(), error));
        return;
      }
      if (!ok) return;
      if (state.deadLetterId === redrive.id) state.deadLetterId = undefined;
    }
    while (!this.ctx.isStopping()) {
      if (state.deadLetterId !== undefined) return;
      const row = await db.heldEvent.findFirst({
        where: { partition, flowId: state.flowId, orderingKey: state.orderingKey },
        orderBy: { id: "asc" },
      });
      if (!row) {
        // Held rows decided in a batch that has not committed yet are counted but not visible.
        if (state.held > 0) state.nextDue = Date.now() + 20;
        return;
      }
      if (row.state === "queued" && row.nextAttemptAt.getTime() > Date.now()) {
        state.nextDue = row.nextAttemptAt.getTime();
        return;
      }
      const attempt = row.attempts + 1;
      if (row.state === "detached") {
        // Nobody here is running it (its own run keeps the key busy), so the worker that was
        // running it died. Count that before trying again: an event that kills every worker
        // that runs it must not take the partition down forever.
        const deaths = workerDeaths(row.errors) + 1;
        if (deaths >= MAX_WORKER_DEATHS) {
          if (this.applyEffect(state, await this.settle(row, crashLoopResult(deaths), attempt)) !== "continue") return;
          continue;
        }
        const errors = [...((row.errors as unknown[]) ?? []), { at: new Date().toISOString(), error: "the worker running this event died before it finished", transient: true, attempt, workerDied: true }];
        await this.ctx.commit({ heldUpdates: [{ id: row.id, errors }] });
        row.errors = errors as typeof row.errors;
      }
      const flow = await this.ctx.catalog.version(row.flowId, row.flowVersion);
      const { event, traceparent, headers } = storedEvent(row);
      const result: FlowRunResult = flow
        ? await this.ctx.runFlow({
            flowId: row.flowId, flowVersion: row.flowVersion, document: flow.document, event, traceparent, traceHeaders: headers,
            attempt, completedSteps: row.steps as unknown as StepRecord[],
          })
        : missingFlowResult(row.flowId, row.flowVersion);
      if (this.applyEffect(state, await this.settle(row, result, attempt)) !== "continue") return;
    }
  }

  private async settle(row: Parameters<typeof heldRows>[0], result: FlowRunResult, attempt: number): Promise<KeyEffect> {
    const { rows, effect } = heldRows(row, result, attempt, new Date(), this.ctx.maxRetryAgeMs);
    try {
      await this.ctx.commit(rows);
      return effect;
    } catch (error) {
      if (!isDataError(error)) throw error;
      const refused = refusedHeldRows(row, attempt, new Date(), error);
      await this.ctx.commit(refused.rows);
      return refused.effect;
    }
  }

  /** Applies a settled head's effect to its key; "continue" when the lane may run the next event. */
  private applyEffect(state: KeyState, effect: KeyEffect): "continue" | "wait" {
    switch (effect.kind) {
      case "done":
        state.held--;
        return "continue";
      case "wait":
        state.nextDue = effect.until.getTime();
        return "wait";
      case "dead-lettered":
        state.held--;
        if (this.ctx.catalog.policyOf(state.flowId) === "hold") {
          state.deadLetterId = effect.deadLetterId;
          return "wait";
        }
        return "continue";
    }
  }
}
