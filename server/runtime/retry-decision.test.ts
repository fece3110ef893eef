import { describe, expect, it } from "vitest";
import { decideRetry, type FailedAttempt } from "./retry-decision";

// The retry rules on their own: no NATS, no database, a fixed clock and no jitter.

const now = new Date("2026-01-01T12:00:00.000Z");
const policy = { attempts: 3, initialBackoffMs: 100, maxBackoffMs: 1_000, jitter: 0 };
const hour = 3_600_000;

function failure(overrides: Partial<Omit<FailedAttempt, "error">> & { error?: Partial<FailedAttempt["error"]> } = {}): FailedAttempt {
  const { error, ...rest } = overrides;
  return {
    error: { message: "503 from the shop", transient: true, systemDown: false, ...error },
    retryPolicy: policy, attempt: 1, firstFailedAt: now, now, maxRetryAgeMs: 24 * hour, random: () => 0,
    ...rest,
  };
}

const at = (ms: number) => new Date(now.getTime() + ms);

describe("decideRetry", () => {
  it("dead-letters a permanent error at once", () => {
    expect(decideRetry(failure({ error: { transient: false } }))).toEqual({ retry: false });
  });

  it("retries a transient error with exponential backoff until the node's attempts are used", () => {
    expect(decideRetry(failure({ attempt: 1 }))).toEqual({ retry: true, nextAttemptAt: at(100) });
    expect(decideRetry(failure({ attempt: 2 }))).toEqual({ retry: true, nextAttemptAt: at(200) });
    expect(decideRetry(failure({ attempt: 3 }))).toEqual({ retry: false });
  });

  it("caps the backoff at maxBackoffMs", () => {
    const many = { ...policy, attempts: 10 };
    expect(decideRetry(failure({ retryPolicy: many, attempt: 8 }))).toEqual({ retry: true, nextAttemptAt: at(1_000) });
  });

  it("waits the Retry-After the system sent instead of the backoff, never beyond the max retry age", () => {
    expect(decideRetry(failure({ error: { retryAfterMs: 30_000 } }))).toEqual({ retry: true, nextAttemptAt: at(30_000) });
    expect(decideRetry(failure({ error: { retryAfterMs: 48 * hour } }))).toEqual({ retry: true, nextAttemptAt: at(24 * hour) });
    expect(decideRetry(failure({ error: { retryAfterMs: -5 } }))).toEqual({ retry: true, nextAttemptAt: at(0) });
  });

  it("keeps retrying a system that is down past the node's attempts, until the max retry age", () => {
    const down = { transient: true, systemDown: true };
    const firstFailedAt = new Date(now.getTime() - 23 * hour);
    expect(decideRetry(failure({ error: down, attempt: 50, firstFailedAt }))).toMatchObject({ retry: true });
    const tooOld = new Date(now.getTime() - 24 * hour);
    expect(decideRetry(failure({ error: down, attempt: 50, firstFailedAt: tooOld }))).toEqual({ retry: false });
    // Within its attempts a system-down error retries even past the age, like any transient one.
    expect(decideRetry(failure({ error: down, attempt: 1, firstFailedAt: tooOld }))).toMatchObject({ retry: true });
  });
});
