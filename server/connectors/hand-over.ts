// How a pull source's consumer hands a message over to Syncline (RabbitMQ, Kafka): the hand-over
// (publishing to JetStream) is tried until it succeeds, with doubling waits, before the broker is
// told the message is taken. Nothing is lost while NATS is away; the broker keeps the rest queued.

export interface HandOverOptions {
  /** True when the consumer stopped (or, for RabbitMQ, its channel closed): stop trying. */
  givenUp: () => boolean;
  onError?: (message: string) => void;
  /** After each failed try, besides the wait (Kafka heart-beats here to keep its partitions). */
  betweenTries?: () => Promise<void>;
  initialMs?: number;
  maxMs?: number;
}

export const errorMessageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Calls `take` until it resolves; false when given up first. */
export async function handOver(take: () => Promise<void>, options: HandOverOptions): Promise<boolean> {
  let delay = options.initialMs ?? 200;
  for (;;) {
    if (options.givenUp()) return false;
    try {
      await take();
      return true;
    } catch (error) {
      options.onError?.(errorMessageOf(error));
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, options.maxMs ?? 5_000);
      await options.betweenTries?.().catch(() => undefined);
    }
  }
}
