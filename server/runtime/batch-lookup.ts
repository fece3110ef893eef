import type { Pool } from "pg";
import { FINGERPRINT_SQL } from "./flow-catalog";
import { SHARED_ROUND_TRIP_LIMIT, TurnGathering } from "./turn-gathering";

// The one read a partition makes before it runs a batch (decision 0039): which (event, flow) pairs
// already ran — the guard against ids re-sent beyond JetStream's duplicate window — and the flow
// catalog's fingerprint as of now, so the batch is matched against every flow change committed
// before it arrived (flow-catalog.ts). One statement, and the lookups of small batches that the
// partitions of a worker ask for in the same turn of the event loop share it (turn-gathering.ts):
// at low load every batch is one event, and each round trip costs the worker's main thread far
// more than the query costs Postgres.

export interface BatchLookup {
  /** `${eventId}\u0000${flowId}` of each pair already processed (of every id of the shared read: a caller checks its own). */
  processed: ReadonlySet<string>;
  /** FlowCatalog's fingerprint, read after every caller's batch arrived. */
  catalogFingerprint: string;
}

interface Asked {
  eventIds: string[];
  resolve: (lookup: BatchLookup) => void;
  reject: (error: unknown) => void;
}

const lookups = new TurnGathering<Pool, Asked>((pool, asked) => {
  read(pool, asked.flatMap((a) => a.eventIds)).then(
    (lookup) => asked.forEach((a) => a.resolve(lookup)),
    (error: unknown) => asked.forEach((a) => a.reject(error)),
  );
});

export function lookUpBatch(pool: Pool, eventIds: string[]): Promise<BatchLookup> {
  if (eventIds.length > SHARED_ROUND_TRIP_LIMIT) return read(pool, eventIds);
  return new Promise((resolve, reject) => lookups.add(pool, { eventIds, resolve, reject }));
}

async function read(pool: Pool, eventIds: string[]): Promise<BatchLookup> {
  const result = await pool.query<{ fingerprint: string; eventId: string | null; flowId: string | null }>(
    `SELECT f.fingerprint, p."eventId", p."flowId"
       FROM (${FINGERPRINT_SQL}) AS f
       LEFT JOIN "ProcessedEvent" p ON p."eventId" = ANY($1::text[])`,
    [[...new Set(eventIds)]],
  );
  const processed = new Set<string>();
  for (const row of result.rows) if (row.eventId !== null) processed.add(`${row.eventId}\u0000${row.flowId}`);
  return { processed, catalogFingerprint: result.rows[0]?.fingerprint ?? "" };
}
