import { randomUUID } from "node:crypto";
import type { Prisma } from "@/server/db/generated/client";
import type { OutcomeRows } from "./outcome-writer";
import {
  attemptRecord, completedSteps, crashLoopResult, deadLetterRow, heldRow, mergeSteps, recordedError, refusedByDatabase, runRow, storable, storedEvent, withRetryAt,
  type AttemptRecord, type DeadLetterInsert, type HeldInsert, type HeldState, type RunInsert, type RunTarget, type RuntimeEvent,
} from "./outcome-rows";
import { traceIdOf } from "@/server/tracing/trace-context";
import { decideRetry } from "./retry-decision";
import type { FlowRunResult } from "./run-flow";

// What a run's result means for the rows of its event, decided without touching NATS or the
// database: the processor and its lanes commit the rows (outcome-writer.ts) and apply the effect
// to the key's queue.

/** What the key's queue does next. */
export type KeyEffect =
  | { kind: "done" }
  | { kind: "wait"; until: Date }
  | { kind: "dead-lettered"; deadLetterId: string };

export interface InlineRows {
  run: RunInsert;
  held?: HeldInsert;
  deadLetter?: DeadLetterInsert;
  effect: KeyEffect;
}

/**
 * An event that cannot run now: it joins the end of its key's queue, behind the key's earlier
 * events (`queued`), or it is the head whose first run is still going after the inline budget
 * (`detached`).
 */
export function queuedRows(target: RunTarget, e: RuntimeEvent, at: Date, state: HeldState): InlineRows {
  return {
    run: runRow(target, e, at, { status: "held", attempts: 0, steps: [] }),
    held: heldRow(target, e, { state, attempts: 0, nextAttemptAt: at }),
    effect: { kind: "wait", until: at },
  };
}

/** The rows of a first, inline try of an event, in its batch. */
export function inlineRows(target: RunTarget, e: RuntimeEvent, startedAt: Date, now: Date, result: FlowRunResult, maxRetryAgeMs: number): InlineRows {
  switch (result.status) {
    case "succeeded":
    case "skipped":
      return { run: runRow(target, e, startedAt, { status: result.status, attempts: 1, steps: result.steps, finishedAt: now }), effect: { kind: "done" } };
    case "suspended": {
      const steps = completedSteps(result.steps);
      return {
        run: runRow(target, e, startedAt, { status: "held", attempts: 0, steps }),
        held: heldRow(target, e, { attempts: 0, nextAttemptAt: result.resumeAt, steps }),
        effect: { kind: "wait", until: result.resumeAt },
      };
    }
    case "failed": {
      const errors = [attemptRecord(result, 1, now)];
      const decision = decideRetry({ error: result.error, retryPolicy: result.retryPolicy, attempt: 1, firstFailedAt: now, now, maxRetryAgeMs });
      if (decision.retry) {
        const waiting = withRetryAt(errors, decision.nextAttemptAt);
        return {
          run: runRow(target, e, startedAt, { status: "retrying", attempts: 1, steps: result.steps, error: result.error.message, errors: waiting }),
          held: heldRow(target, e, { attempts: 1, nextAttemptAt: decision.nextAttemptAt, errors: waiting, steps: completedSteps(result.steps), firstFailedAt: now }),
          effect: { kind: "wait", until: decision.nextAttemptAt },
        };
      }
      const deadLetter = deadLetterRow(target, e, result, errors, completedSteps(result.steps));
      return {
        run: runRow(target, e, startedAt, { status: "dead-lettered", attempts: 1, steps: result.steps, error: result.error.message, finishedAt: now, errors }),
        deadLetter,
        effect: { kind: "dead-lettered", deadLetterId: deadLetter.id },
      };
    }
  }
}

export type HeldRow = Prisma.HeldEventGetPayload<object>;

/** The rows that settle a try of the head of a key's queue (`attempt` counts every try so far). */
export function heldRows(row: HeldRow, result: FlowRunResult, attempt: number, now: Date, maxRetryAgeMs: number): { rows: OutcomeRows; effect: KeyEffect } {
  const runSteps = mergeSteps(row.steps, result.steps);
  if (result.status === "succeeded" || result.status === "skipped") {
    return {
      rows: {
        heldDeletes: [row.id],
        runUpdates: [{ id: row.runId, status: result.status, attempts: Math.max(attempt, 1), steps: runSteps, finishedAt: now, error: null, errors: row.errors ?? [] }],
      },
      effect: { kind: "done" },
    };
  }
  if (result.status === "suspended") {
    return {
      rows: {
        heldUpdates: [{ id: row.id, state: "queued", nextAttemptAt: result.resumeAt, steps: mergeSteps(row.steps, completedSteps(result.steps)) }],
        runUpdates: [{ id: row.runId, status: "held", steps: runSteps }],
      },
      effect: { kind: "wait", until: result.resumeAt },
    };
  }
  const errors = [...((row.errors as unknown as AttemptRecord[]) ?? []), attemptRecord(result, attempt, now)];
  const firstFailedAt = row.firstFailedAt ?? now;
  const steps = mergeSteps(row.steps, completedSteps(result.steps));
  const decision = decideRetry({ error: result.error, retryPolicy: result.retryPolicy, attempt, firstFailedAt, now, maxRetryAgeMs });
  if (decision.retry) {
    const waiting = withRetryAt(errors, decision.nextAttemptAt);
    return {
      rows: {
        heldUpdates: [{ id: row.id, state: "queued", attempts: attempt, errors: waiting, nextAttemptAt: decision.nextAttemptAt, firstFailedAt, steps }],
        runUpdates: [{ id: row.runId, status: "retrying", attempts: attempt, error: recordedError(result.error.message), steps: runSteps, errors: waiting }],
      },
      effect: { kind: "wait", until: decision.nextAttemptAt },
    };
  }
  const target: RunTarget = { flowId: row.flowId, flowVersion: row.flowVersion, runId: row.runId, partition: row.partition };
  const deadLetter = deadLetterRow(target, storedEvent(row), result, errors, steps);
  return {
    rows: {
      heldDeletes: [row.id],
      deadLetters: [deadLetter],
      runUpdates: [{ id: row.runId, status: "dead-lettered", attempts: attempt, finishedAt: now, error: recordedError(result.error.message), steps: runSteps, errors }],
    },
    effect: { kind: "dead-lettered", deadLetterId: deadLetter.id },
  };
}

export type DeadLetterRow = Prisma.DeadLetterGetPayload<object>;

/** The rows that record a redrive of a dead letter; `ok` when it went through. */
export function redriveRows(dl: DeadLetterRow, result: FlowRunResult, attempt: number, now: Date): { rows: OutcomeRows; ok: boolean } {
  const previous = (dl.attempts as unknown as AttemptRecord[]) ?? [];
  if (result.status === "succeeded" || result.status === "skipped") {
    return {
      ok: true,
      rows: {
        redrive: {
          deadLetterId: dl.id, status: "redriven",
          run: { status: result.status, attempts: attempt, finishedAt: now, error: null, steps: mergeSteps(dl.steps, result.steps), errors: previous },
        },
      },
    };
  }
  const attempts = [...previous, attemptRecord(result, attempt, now, { redrive: true })];
  const error = result.status === "failed" ? recordedError(result.error.message) : null;
  return {
    ok: false,
    rows: {
      redrive: {
        deadLetterId: dl.id, status: "open", attempts,
        error: error ?? "the flow suspended during a redrive", run: { attempts: attempt, error, errors: attempts },
      },
    },
  };
}

// When the database refuses a row as data (see db-retry.ts), writing it again would fail forever
// and stall the partition or the key. The event is dead-lettered instead, with the database's
// message, a storable copy of the event and no step records (they may hold what was refused).

/** Replaces an event's rows of a batch with a dead letter and a dead-lettered run. */
export function refusedInlineRows(target: RunTarget, e: RuntimeEvent, startedAt: Date, now: Date, error: Error & { code: string }): InlineRows {
  const result = refusedByDatabase(error);
  const event = storable(e);
  const errors = [attemptRecord(result, 1, now)];
  const deadLetter = deadLetterRow(target, event, result, errors, []);
  return {
    run: runRow(target, event, startedAt, { status: "dead-lettered", attempts: 1, steps: [], error: result.error.message, finishedAt: now, errors }),
    deadLetter,
    effect: { kind: "dead-lettered", deadLetterId: deadLetter.id },
  };
}

/** Settles a queue head whose rows were refused: dead-lettered, its run finished as such. */
export function refusedHeldRows(row: HeldRow, attempt: number, now: Date, error: Error & { code: string }): { rows: OutcomeRows; effect: KeyEffect } {
  const result = refusedByDatabase(error);
  const target: RunTarget = { flowId: row.flowId, flowVersion: row.flowVersion, runId: row.runId, partition: row.partition };
  const errors = storable([...((row.errors as unknown as AttemptRecord[]) ?? []), attemptRecord(result, attempt, now)]);
  const deadLetter = deadLetterRow(target, storable(storedEvent(row)), result, errors, []);
  return {
    rows: {
      heldDeletes: [row.id],
      deadLetters: [deadLetter],
      runUpdates: [{ id: row.runId, status: "dead-lettered", attempts: Math.max(attempt, 1), finishedAt: now, error: recordedError(result.error.message), steps: [], errors }],
    },
    effect: { kind: "dead-lettered", deadLetterId: deadLetter.id },
  };
}

/** A redrive whose rows were refused: the letter is open again with the database's message. */
export function refusedRedriveRows(dl: DeadLetterRow, attempt: number, now: Date, error: Error & { code: string }): OutcomeRows {
  const result = refusedByDatabase(error);
  const previous = (dl.attempts as unknown as AttemptRecord[]) ?? [];
  const message = recordedError(result.error.message);
  const attempts = storable([...previous, attemptRecord(result, attempt, now, { redrive: true })]);
  return {
    redrive: {
      deadLetterId: dl.id, status: "open", attempts,
      error: message, run: { attempts: attempt, error: message, errors: attempts },
    },
  };
}

/**
 * An event that was running inline each time its worker died (`deaths` times, this owner's
 * finding included): dead-lettered without running it again, each death one recorded try.
 */
export function crashLoopInlineRows(target: RunTarget, e: RuntimeEvent, at: Date, deaths: number): InlineRows {
  const result = crashLoopResult(deaths);
  const died: AttemptRecord[] = Array.from({ length: deaths - 1 }, (_, i) => ({
    at: at.toISOString(), error: "the worker running this event died before it finished", transient: true, attempt: i + 1, workerDied: true,
  }));
  const errors = [...died, attemptRecord(result, deaths, at)];
  const deadLetter = deadLetterRow(target, e, result, errors, []);
  return {
    run: runRow(target, e, at, { status: "dead-lettered", attempts: deaths, steps: [], error: result.error.message, finishedAt: at, errors }),
    deadLetter,
    effect: { kind: "dead-lettered", deadLetterId: deadLetter.id },
  };
}

/**
 * A discard "with the held events too" (decision 0024): the key's held events are taken off its
 * queue, their runs end as `discarded`, each is recorded as a discarded dead letter naming the
 * letter it waited behind (so the resolved list shows what was dropped, by whom, when), and the
 * letter itself becomes `discarded` — all in the one fenced write.
 */
export function discardedHeldRows(letter: Pick<DeadLetterRow, "id" | "resolvedBy">, held: HeldRow[], now: Date): OutcomeRows {
  const error = `Discarded with the dead letter it waited behind (${letter.id})`;
  return {
    heldDeletes: held.map((h) => h.id),
    runUpdates: held.map((h) => ({ id: h.runId, status: "discarded", finishedAt: now, error })),
    deadLetters: held.map((h) => {
      const { event, traceparent } = storedEvent(h);
      return {
        id: randomUUID(), flowId: h.flowId, flowVersion: h.flowVersion, nodeId: null, orderingKey: h.orderingKey,
        eventId: h.eventId, eventType: event.type, event: h.event, headers: h.headers, attempts: h.errors, error,
        traceId: traceIdOf(traceparent), runId: h.runId, steps: h.steps, sequence: h.sequence, partition: h.partition,
        status: "discarded", resolvedBy: letter.resolvedBy, heldBehind: letter.id,
      };
    }),
    discard: { deadLetterId: letter.id },
  };
}
