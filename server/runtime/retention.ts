import "server-only";
import type { Pool } from "pg";

// Keeps run history and processed-event records within their configured retention. Deletes in
// small slices so a large backlog never holds long locks next to the hot path's inserts. Any
// worker may run it; concurrent sweeps just find less to delete.

export interface RetentionSettings {
  runRetentionMs: number;
  processedRetentionMs: number;
  /** Rows per statement. */
  slice?: number;
}

export async function sweepRetention(pool: Pool, settings: RetentionSettings): Promise<{ runs: number; processed: number }> {
  const slice = settings.slice ?? 5_000;
  const runs = await deleteOlderThan(pool, `DELETE FROM "Run" WHERE id IN (
      SELECT id FROM "Run" WHERE "startedAt" < (now() AT TIME ZONE 'UTC') - $1 * interval '1 millisecond'
        AND status IN ('succeeded', 'skipped', 'failed', 'dead-lettered', 'discarded') LIMIT $2)`, settings.runRetentionMs, slice);
  const processed = await deleteOlderThan(pool, `DELETE FROM "ProcessedEvent" WHERE ("eventId", "flowId") IN (
      SELECT "eventId", "flowId" FROM "ProcessedEvent" WHERE "processedAt" < (now() AT TIME ZONE 'UTC') - $1 * interval '1 millisecond' LIMIT $2)`,
    settings.processedRetentionMs, slice);
  return { runs, processed };
}

async function deleteOlderThan(pool: Pool, sql: string, ageMs: number, slice: number): Promise<number> {
  let total = 0;
  for (let round = 0; round < 20; round++) {
    const result = await pool.query(sql, [ageMs, slice]);
    total += result.rowCount ?? 0;
    if ((result.rowCount ?? 0) < slice) break;
  }
  return total;
}
