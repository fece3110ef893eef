import { deadline, errors } from "@nats-io/transport-node";

/**
 * nats.js's own `deadline`, with the caller's words instead of a bare "timeout": rejects with
 * `message` when `promise` has not settled after `ms`. NATS calls such as flush() and object-store
 * reads take no AbortSignal, so a race is the only way to bound them.
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  try {
    return await deadline(promise, ms);
  } catch (error) {
    throw error instanceof errors.TimeoutError ? new Error(message, { cause: error }) : error;
  }
}
