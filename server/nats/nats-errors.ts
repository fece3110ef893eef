import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { errors, RequestError } from "@nats-io/transport-node";

// NATS failures recognised by the typed errors nats.js throws, not by names or message text.
// nats.js wraps (JetStreamNotEnabled around a RequestError or an API error), so each check
// follows the `cause` chain.

function someCause(error: unknown, test: (error: unknown) => boolean): boolean {
  const seen = new Set<unknown>();
  for (let e = error; e !== undefined && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    if (test(e)) return true;
    seen.add(e);
  }
  return false;
}

/** No JetStream to talk to: the account has it disabled, or nothing answers its API (`-js` missing). */
export function isJetStreamUnavailable(error: unknown): boolean {
  return someCause(
    error,
    (e) =>
      (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.JetStreamNotEnabledForAccount) ||
      (e instanceof RequestError && e.isNoResponders()) ||
      e instanceof errors.NoRespondersError,
  );
}

/** The JetStream API answered "stream not found". */
export function isStreamNotFound(error: unknown): boolean {
  return someCause(error, (e) => e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound);
}

/** A request or connect attempt that got no answer in time. */
export function isNatsTimeout(error: unknown): boolean {
  return someCause(error, (e) => e instanceof errors.TimeoutError);
}

/**
 * A message larger than the server's max_payload. nats.js reports it as an InvalidArgumentError
 * whose text is the only thing that tells it apart from other invalid arguments.
 */
export function isPayloadTooLarge(error: unknown): boolean {
  return someCause(error, (e) => e instanceof errors.InvalidArgumentError && /max_payload/i.test(e.message));
}
