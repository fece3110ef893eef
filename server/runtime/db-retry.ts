import { LostLeaseError } from "./partition-leases";

/**
 * Database outages must not lose work: keeps retrying `write` with backoff (a batch stays unacked
 * in JetStream meanwhile). A lost lease is final, and so is the processor stopping.
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
      if (error instanceof LostLeaseError || opts.isStopping()) throw error;
      opts.log(`database write failed, retrying in ${delay} ms: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }
}
