import { expect } from "vitest";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import type { ConnectorTransport } from "../types";

/** Only loopback, where the fake platform servers listen. */
export const transport: ConnectorTransport = { allowlist: ["127.0.0.1"], timeoutMs: 2_000 };

export async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(error, "expected the call to fail").not.toBeNull();
  return error!;
}

export async function expectDown(promise: Promise<unknown>, retryAfterMs?: number): Promise<TransientError> {
  const error = await failureOf(promise);
  expect(error).toBeInstanceOf(TransientError);
  expect((error as TransientError).systemDown).toBe(true);
  if (retryAfterMs !== undefined) expect((error as TransientError).retryAfterMs).toBe(retryAfterMs);
  return error as TransientError;
}

export async function expectPermanent(promise: Promise<unknown>, message: string | RegExp): Promise<PermanentError> {
  const error = await failureOf(promise);
  expect(error).toBeInstanceOf(PermanentError);
  expect(error.message).toMatch(message);
  return error as PermanentError;
}
