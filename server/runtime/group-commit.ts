import type { Pool } from "pg";
import { isDataError } from "./db-retry";
import { commitOutcome, commitOutcomes, type BatchRows } from "./outcome-writer";
import { LostLeaseError, type Lease } from "./partition-leases";
import { SHARED_ROUND_TRIP_LIMIT, TurnGathering } from "./turn-gathering";

// Group commit (decision 0039): the batch commits that a worker's partitions start in the same
// turn of the event loop (turn-gathering.ts) go to Postgres as one statement (commitOutcomes),
// each partition still fenced on its own. At low load every batch is one event, and a round trip
// costs the worker's main thread (encoding, socket write, parsing the reply) far more than the
// rows cost Postgres; a large batch (high load) commits alone, as before. A partition still has
// one commit in flight at a time, so its commits, acks and cursor stay in stream order; a
// partition that lost its lease gets LostLeaseError and wrote nothing, as with its own statement.
// If the database refuses the group's rows as data, each batch is committed on its own, so only
// the partition whose rows are wrong sees the refusal (and dead-letters event by event,
// partition-processor.ts).

interface Member {
  owner: string;
  lease: Lease;
  rows: BatchRows;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const commits = new TurnGathering<Pool, Member>((pool, members) => {
  // One statement per owner: a process running several drains has one owner each.
  const byOwner = new Map<string, Member[]>();
  for (const m of members) {
    const group = byOwner.get(m.owner);
    if (group) group.push(m);
    else byOwner.set(m.owner, [m]);
  }
  for (const [owner, group] of byOwner) void send(pool, owner, group);
});

/** Commits a partition's batch, together with the other small batches of this turn. */
export function commitInGroup(pool: Pool, owner: string, lease: Lease, rows: BatchRows): Promise<void> {
  if (rows.runs.length > SHARED_ROUND_TRIP_LIMIT) return commitOutcome(pool, owner, lease, rows);
  return new Promise<void>((resolve, reject) => commits.add(pool, { owner, lease, rows, resolve, reject }));
}

async function send(pool: Pool, owner: string, group: Member[]) {
  if (group.length === 1) {
    const [only] = group as [Member];
    return commitOutcome(pool, owner, only.lease, only.rows).then(only.resolve, only.reject);
  }
  try {
    const fenced = await commitOutcomes(pool, owner, group);
    for (const m of group) {
      if (fenced.has(m.lease.partition)) m.resolve();
      else m.reject(new LostLeaseError(m.lease.partition));
    }
  } catch (error) {
    if (!isDataError(error)) {
      for (const m of group) m.reject(error);
      return;
    }
    await Promise.all(group.map((m) => commitOutcome(pool, owner, m.lease, m.rows).then(m.resolve, m.reject)));
  }
}
