import type { Pool } from "pg";
import { FINGERPRINT_SQL } from "./flow-catalog";

// The one read a partition makes before it runs a batch (decision 0037): which (event, flow) pairs
// already ran — the guard against ids re-sent beyond JetStream's duplicate window — and the flow
// catalog's fingerprint as of now, so the batch is matched against every flow change committed
// before it arrived (flow-catalog.ts). One statement, one round trip: at low load a batch is one
// event, and each round trip costs the worker's main thread more than the query costs Postgres.

export interface BatchLookup {
  /** `${eventId}\u0000${flowId}` of each pair already processed. */
  processed: Set<string>;
  /** FlowCatalog's fingerprint, read after the batch arrived. */
  catalogFingerprint: string;
}

export async function lookUpBatch(pool: Pool, eventIds: string[]): Promise<BatchLookup> {
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
