// How an executor tells the runtime what kind of failure it hit (docs/guarantees.md §4). Anything else thrown
// counts as permanent: retrying a bug does not fix it.

/** Worth retrying: network errors, timeouts, 5xx, 429. */
export class TransientError extends Error {
  readonly retryAfterMs?: number;
  /**
   * The outside system looks down (connection refused, timeouts, 5xx): the runtime keeps retrying
   * until it is back, up to SYNCLINE_MAX_RETRY_AGE_MS, instead of giving up after the node's attempts.
   */
  readonly systemDown: boolean;
  constructor(message: string, options: { retryAfterMs?: number; systemDown?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "TransientError";
    this.retryAfterMs = options.retryAfterMs;
    this.systemDown = options.systemDown ?? false;
  }
}

/** Retrying cannot help: 4xx, invalid config, schema violations. Goes to the dead-letter queue at once. */
export class PermanentError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "PermanentError";
  }
}

/** Not a failure: the flow waits (delay node) and continues from the next node at `until`. */
export class SuspendUntil extends Error {
  constructor(readonly until: Date) {
    super(`waiting until ${until.toISOString()}`);
    this.name = "SuspendUntil";
  }
}
