// What the partitions of a worker hand in during one turn of the event loop, gathered per key and
// handed on together once the turn ends (setImmediate): the batch lookups (batch-lookup.ts) and
// the batch commits (group-commit.ts) share a round trip this way (decision 0039). Partitions
// whose messages arrive in the same socket read run in the same turn.

/**
 * A batch of more events than this makes its own round trip: it already spreads it over many
 * events, and joining several large batches would serialize them into one Postgres backend
 * (measured slower at full load, decision 0039).
 */
export const SHARED_ROUND_TRIP_LIMIT = 32;

export class TurnGathering<K extends object, T> {
  private readonly open = new WeakMap<K, T[]>();

  constructor(private readonly handOn: (key: K, items: T[]) => void) {}

  add(key: K, item: T) {
    let items = this.open.get(key);
    if (!items) {
      const gathered: T[] = (items = []);
      this.open.set(key, gathered);
      setImmediate(() => {
        this.open.delete(key);
        this.handOn(key, gathered);
      });
    }
    items.push(item);
  }
}
