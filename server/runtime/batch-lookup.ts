import type { Pool } from "pg";
import { FINGERPRINT_SQL } from "./flow-catalog";

// The one read a partition makes before it runs a batch (decision 0039): which (event, flow) pairs
// already ran — the guard against ids re-sent beyond JetStream's duplicate window — and the flow
// catalog's fingerprint as of now, so the batch is matched against every flow change committed
// before it arrived (flow-catalog.ts). One statement, and the lookups that the partitions of a
// worker ask for in the same turn of the event loop share it: at low load every batch is one
// event, and each round trip costs the worker's main thread far more than the query costs Postgres.

export interface BatchLookup {
  /** `${eventId}\u0000${flowId}` of each pair already processed (of every id of the shared read: a caller checks its own). */
  processed: ReadonlySet<string>;
  /** FlowCatalog's fingerprint, read after every caller's batch arrived. */
  catalogFingerprint: string;
}

interface Pending {
  ids: Set<string>;
  result: Promise<BatchLookup>;
}

/** The read being gathered for each pool: sent once the current turn of the event loop ends. */
const gathering = new WeakMap<Pool, Pending>();

/** A batch of more events than this reads alone: it spreads its round trip already (see GROUP_BATCH_LIMIT in group-commit.ts). */
const SHARED_LOOKUP_LIMIT = 32;

export function lookUpBatch(pool: Pool, eventIds: string[]): Promise<BatchLookup> {
  if (eventIds.length > SHARED_LOOKUP_LIMIT) return read(pool, [...new Set(eventIds)]);
  let pending = gathering.get(pool);
  if (!pending) {
    const ids = new Set<string>();
    const result = new Promise<BatchLookup>((resolve, reject) => {
      setImmediate(() => {
        gathering.delete(pool);
        read(pool, [...ids]).then(resolve, reject);
      });
    });
    pending = { ids, result };
    gathering.set(pool, pending);
  }
  for (const id of eventIds) pending.ids.add(id);
  return pending.result;
}

async function read(pool: Pool, eventIds: string[]): Promise<BatchLookup> {
  const result = await pool.query<{ fingerprint: string; eventId: string | null; flowId: string | null }>(
    `SELECT f.fingerprint, p."eventId", p."flowId"
       FROM (${FINGERPRINT_SQL}) AS f
       LEFT JOIN "ProcessedEvent" p ON p."eventId" = ANY($1::text[])`,
    [eventIds],
  );
  const processed = new Set<string>();
  for (const row of result.rows) if (row.eventId !== null) processed.add(`${row.eventId}\u0000${row.flowId}`);
  return { processed, catalogFingerprint: result.rows[0]?.fingerprint ?? "" };
}
