import { retryDelayMs, type RetryPolicy } from "@/server/nodes/retry-policy";
import type { FlowRunError } from "./run-flow";

// What happens to an event after a failed attempt: try again later, or dead-letter it. Pure (no
// clock, no NATS, no database) so every rule is unit-tested on its own; the processor passes `now`.

export interface FailedAttempt {
  error: FlowRunError;
  retryPolicy: RetryPolicy;
  /** Attempts made so far, this one included (1 after the first try). */
  attempt: number;
  /** When the event first failed; the max retry age counts from here. */
  firstFailedAt: Date;
  now: Date;
  /** How long a "system down" failure is retried before it dead-letters. */
  maxRetryAgeMs: number;
  /** For the backoff's jitter; tests pass a fixed one. */
  random?: () => number;
}

export type RetryDecision = { retry: true; nextAttemptAt: Date } | { retry: false };

export function decideRetry(failure: FailedAttempt): RetryDecision {
  if (!shouldRetry(failure)) return { retry: false };
  return { retry: true, nextAttemptAt: new Date(failure.now.getTime() + retryDelay(failure)) };
}

/**
 * Permanent errors never retry. A system that looks down is retried until the max retry age has
 * passed since the first failure, however many attempts that takes; other transient errors get
 * the node's attempts.
 */
function shouldRetry({ error, retryPolicy, attempt, firstFailedAt, now, maxRetryAgeMs }: FailedAttempt): boolean {
  if (!error.transient) return false;
  if (error.systemDown && now.getTime() - firstFailedAt.getTime() < maxRetryAgeMs) return true;
  return attempt < retryPolicy.attempts;
}

/** Retry-After when the system sent one (never beyond the max retry age), else the node's backoff. */
function retryDelay({ error, retryPolicy, attempt, maxRetryAgeMs, random }: FailedAttempt): number {
  if (error.retryAfterMs !== undefined) return Math.min(Math.max(error.retryAfterMs, 0), maxRetryAgeMs);
  return retryDelayMs(retryPolicy, attempt, random);
}
