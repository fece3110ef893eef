import { LostLeaseError } from "./partition-leases";

/**
 * SQLSTATE class 22 (data exception, e.g. a NUL character in text or JSON) or 23 (integrity
 * constraint violation): the rows themselves are wrong, so writing them again fails again. Every
 * other failure (connection lost, server shutting down, out of resources) is worth retrying.
 */
export function isDataError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^2[23][0-9A-Z]{3}$/.test(code);
}

/**
 * Database outages must not lose work: keeps retrying `write` with backoff (a batch stays unacked
 * in JetStream meanwhile). A lost lease is final, and so is the processor stopping; a data error
 * is thrown at once for the caller to dead-letter what it was writing.
 */
export async function withDbRetry<T>(
  write: () => Promise<T>,
  opts: { isStopping: () => boolean; log: (message: string) => void },
): Promise<T> {
  let delay = 200;
  for (;;) {
    try {
      return await write();
    } catch (error) {
      if (error instanceof LostLeaseError || isDataError(error) || opts.isStopping()) throw error;
      opts.log(`database write failed, retrying in ${delay} ms: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }
}
