import { randomUUID } from "node:crypto";
import { businessKeysOf } from "@/server/events/business-keys";
import type { CloudEvent } from "@/server/events/event-types";
import type { RetryPolicy } from "@/server/nodes/retry-policy";
import { traceIdOf, traceparentOf } from "@/server/tracing/trace-context";
import type { FlowRunResult, StepRecord } from "./run-flow";

// The shapes of the rows the runtime writes (runs, queued "held" events, dead letters) and the one
// place each is built from an event and a run result. outcome-writer.ts persists them.

export type FailedRun = Extract<FlowRunResult, { status: "failed" }>;

/** A queued event: waiting for its turn, or being run by its owner outside a batch (see README "Runtime"). */
export type HeldState = "queued" | "detached";

export interface RunInsert {
  id: string; flowId: string; flowVersion: number; eventId: string; eventType: string; orderingKey: string;
  status: string; attempts: number; traceId: string; sequence: bigint; startedAt: Date; publishedAt: Date | null; finishedAt: Date | null;
  error: string | null; steps: unknown;
  // Read-model fields for run history (search, run detail; see server/history/). The writer adds
  // `worker` itself: it is the owner every commit is fenced with.
  businessKeys: string[]; event: unknown; headers: unknown; stream: string | null; partition: number; deliveryCount: number;
  errors: unknown;
}
export interface HeldInsert {
  partition: number; flowId: string; flowVersion: number; orderingKey: string; eventId: string; event: unknown;
  headers: unknown; sequence: bigint; attempts: number; errors: unknown; nextAttemptAt: Date; firstFailedAt: Date | null;
  runId: string; steps: unknown; state: HeldState;
}
export interface DeadLetterInsert {
  id: string; flowId: string; flowVersion: number; nodeId: string | null; orderingKey: string; eventId: string;
  eventType: string; event: unknown; headers: unknown; attempts: unknown; error: string; traceId: string;
  runId: string | null; steps: unknown; sequence: bigint; partition: number; status: string;
  /** Only on the record of a held event discarded with the letter it waited behind (decision 0024). */
  resolvedBy?: string | null; heldBehind?: string | null;
}

/** An event of the stream (or read back from its queue) as the runtime works with it. */
export interface RuntimeEvent {
  event: CloudEvent;
  headers: Record<string, string>;
  sequence: bigint;
  traceparent: string;
  /** Where the stream delivered it; absent for an event read back from its queue or a dead letter. */
  delivery?: { stream: string; count: number; publishedAt?: Date };
}

/** Which flow version an event runs in, and under which run id its outcome is recorded. */
export interface RunTarget {
  flowId: string;
  flowVersion: number;
  runId: string;
  partition: number;
}

/** One entry of a held event's `errors` or a dead letter's `attempts`: what one try ended with. */
export interface AttemptRecord {
  at: string;
  error: string;
  transient: boolean;
  nodeId?: string;
  attempt: number;
  redrive?: true;
  /** The worker running this try died (found by the next owner of the partition). */
  workerDied?: true;
  /** When the next try was due (the run detail draws the wait). */
  retryAt?: string;
}

const MAX_RECORDED_ERROR = 2_000;

export function recordedError(message: string): string {
  return message.slice(0, MAX_RECORDED_ERROR);
}

export function attemptRecord(result: Exclude<FlowRunResult, { status: "succeeded" | "skipped" }>, attempt: number, at: Date, opts: { redrive?: true } = {}): AttemptRecord {
  return result.status === "failed"
    ? { at: at.toISOString(), error: result.error.message, transient: result.error.transient, nodeId: result.failedNodeId, attempt, ...opts }
    : { at: at.toISOString(), error: "suspended", transient: false, attempt, ...opts };
}

/** Rebuilds the event of a held row or dead letter (headers and traceparent as they were stored). */
export function storedEvent(row: { event: unknown; headers: unknown; sequence: bigint }): RuntimeEvent {
  const event = row.event as CloudEvent;
  const headers = (row.headers ?? {}) as Record<string, string>;
  return { event, headers, sequence: row.sequence, traceparent: traceparentOf(event, headers) };
}

/** The tries so far, the last one stamped with when the next is due: what a run shows while it waits to retry. */
export function withRetryAt(errors: AttemptRecord[], retryAt: Date): AttemptRecord[] {
  const last = errors.at(-1);
  return last ? [...errors.slice(0, -1), { ...last, retryAt: retryAt.toISOString() }] : errors;
}

export function runRow(
  target: RunTarget, e: RuntimeEvent, startedAt: Date,
  r: { status: string; attempts: number; steps: StepRecord[]; error?: string; finishedAt?: Date; errors?: AttemptRecord[] },
): RunInsert {
  return {
    id: target.runId, flowId: target.flowId, flowVersion: target.flowVersion, eventId: e.event.id,
    eventType: e.event.type, orderingKey: e.event.subject, status: r.status,
    attempts: r.attempts, traceId: traceIdOf(e.traceparent), sequence: e.sequence,
    startedAt, publishedAt: e.delivery?.publishedAt ?? null, finishedAt: r.finishedAt ?? null, error: r.error === undefined ? null : recordedError(r.error), steps: r.steps,
    businessKeys: businessKeysOf(e.event), event: e.event, headers: e.headers, stream: e.delivery?.stream ?? null,
    partition: target.partition, deliveryCount: e.delivery?.count ?? 1, errors: r.errors ?? [],
  };
}

export function heldRow(target: RunTarget, e: RuntimeEvent, h: { state?: HeldState; attempts: number; nextAttemptAt: Date; errors?: AttemptRecord[]; steps?: StepRecord[]; firstFailedAt?: Date }): HeldInsert {
  return {
    partition: target.partition, flowId: target.flowId, flowVersion: target.flowVersion, orderingKey: e.event.subject,
    eventId: e.event.id, event: e.event, headers: e.headers, sequence: e.sequence, state: h.state ?? "queued",
    attempts: h.attempts, errors: h.errors ?? [], nextAttemptAt: h.nextAttemptAt,
    firstFailedAt: h.firstFailedAt ?? null, runId: target.runId, steps: h.steps ?? [],
  };
}

export function deadLetterRow(target: RunTarget, e: RuntimeEvent, result: FailedRun, attempts: AttemptRecord[], steps: StepRecord[]): DeadLetterInsert {
  return {
    id: randomUUID(), flowId: target.flowId, flowVersion: target.flowVersion, nodeId: result.failedNodeId, orderingKey: e.event.subject,
    eventId: e.event.id, eventType: e.event.type, event: e.event, headers: e.headers,
    attempts, error: recordedError(result.error.message), traceId: traceIdOf(e.traceparent),
    runId: target.runId, steps, sequence: e.sequence, partition: target.partition, status: "open",
  };
}

/** Steps a later try can reuse (failed ones run again). */
export function completedSteps(steps: StepRecord[]): StepRecord[] {
  return steps.filter((s) => s.status === "succeeded" || s.status === "skipped" || s.status === "suspended");
}

/** Earlier records of a run overlaid with the ones of the latest try. */
export function mergeSteps(previous: unknown, next: StepRecord[]): StepRecord[] {
  const before = (Array.isArray(previous) ? previous : []) as StepRecord[];
  const ids = new Set(next.map((s) => s.nodeId));
  return [...before.filter((s) => !ids.has(s.nodeId)), ...next];
}

/** A failure that no retry can fix, not caused by a node (`failedNodeId` ""). */
function permanentFailure(message: string): FailedRun {
  return {
    status: "failed", steps: [], failedNodeId: "",
    error: { message, transient: false, systemDown: false },
    retryPolicy: { attempts: 1, initialBackoffMs: 1000, maxBackoffMs: 1000, jitter: 0 } as RetryPolicy,
  };
}

/** The result for a held event or dead letter whose flow version was deleted: nothing can run it. */
export function missingFlowResult(flowId: string, version: number): FailedRun {
  return permanentFailure(`flow ${flowId} version ${version} no longer exists`);
}

/** The result for an event whose outcome the database refused to store (a data error). */
export function refusedByDatabase(error: Error & { code: string }): FailedRun {
  return permanentFailure(`the database refused to store this event's outcome: ${error.message} (SQLSTATE ${error.code})`);
}

/** The result for an event that keeps killing the worker that runs it (a crash loop). */
export function crashLoopResult(deaths: number): FailedRun {
  return permanentFailure(`worker died while running this event ${deaths} times`);
}

/** How many times a worker died while running a queued event, from its recorded tries. */
export function workerDeaths(errors: unknown): number {
  return Array.isArray(errors) ? errors.filter((e) => (e as AttemptRecord | null)?.workerDied === true).length : 0;
}

/**
 * A copy Postgres can store: text and jsonb cannot hold U+0000, the usual reason a row is refused,
 * so it becomes U+FFFD (the replacement character) in every string and key.
 */
export function storable<T>(value: T): T {
  if (typeof value === "string") return value.replaceAll("\u0000", "\uFFFD") as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), storable(v)])) as T;
  }
  return value;
}
