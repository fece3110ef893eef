import "server-only";
import type { Pool } from "pg";
import { LostLeaseError, type Lease } from "./partition-leases";

// The hot path's one write per batch: the outcomes of up to hundreds of events and the partition's
// new cursor in a single statement, fenced by the lease epoch. Plain SQL with unnest() arrays (a
// fixed number of parameters per table) instead of the ORM's row-by-row VALUES lists, and no
// BEGIN/COMMIT round trips: at thousands of events per second this is where the time would go.

export interface RunInsert {
  id: string; flowId: string; flowVersion: number; eventId: string; eventType: string; orderingKey: string;
  status: string; attempts: number; traceId: string; sequence: bigint; startedAt: Date; finishedAt: Date | null;
  error: string | null; steps: unknown;
  // Read-model fields for run history (search, run detail); see server/history/.
  businessKeys: string[]; event: unknown; headers: unknown; stream: string; partition: number; deliveryCount: number;
  worker: string; errors: unknown;
}
export interface HeldInsert {
  partition: number; flowId: string; flowVersion: number; orderingKey: string; eventId: string; event: unknown;
  headers: unknown; sequence: bigint; attempts: number; errors: unknown; nextAttemptAt: Date; firstFailedAt: Date | null;
  runId: string; steps: unknown;
}
export interface DeadLetterInsert {
  id: string; flowId: string; flowVersion: number; nodeId: string | null; orderingKey: string; eventId: string;
  eventType: string; event: unknown; headers: unknown; attempts: unknown; error: string; traceId: string;
  runId: string | null; steps: unknown; sequence: bigint; partition: number; status: string;
}
export interface BatchRows {
  runs: RunInsert[];
  processed: { eventId: string; flowId: string }[];
  held: HeldInsert[];
  deadLetters: DeadLetterInsert[];
}

const col = <T, K extends keyof T>(rows: T[], key: K) => rows.map((r) => r[key]);
const jsonCol = <T, K extends keyof T>(rows: T[], key: K) => rows.map((r) => JSON.stringify(r[key] ?? null));
const bigCol = <T, K extends keyof T>(rows: T[], key: K) => rows.map((r) => String(r[key]));

/**
 * Writes a batch's rows and moves the cursor in ONE statement (one round trip, one implicit
 * transaction): every insert is a data-modifying CTE that only produces rows when the fencing
 * update matched, so a worker that lost its lease writes nothing at all.
 */
export async function commitBatchRows(pool: Pool, owner: string, lease: Lease, cursor: bigint, rows: BatchRows) {
  const { runs, processed, held, deadLetters } = rows;
  const params: unknown[] = [lease.partition, owner, lease.epoch, String(cursor)];
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const ctes = [
    `fence AS (UPDATE "Partition" SET cursor = GREATEST(cursor, $4::bigint), "updatedAt" = now()
       WHERE "partition" = $1 AND owner = $2 AND epoch = $3 RETURNING 1)`,
  ];
  if (runs.length) {
    // unnest() cannot take a text[][] column, so businessKeys travel as one JSON array per run.
    ctes.push(`runs AS (INSERT INTO "Run" (id, "flowId", "flowVersion", "eventId", "eventType", "orderingKey", status, attempts, "traceId", sequence, "startedAt", "finishedAt", error, steps,
         "businessKeys", event, headers, stream, "partition", "deliveryCount", worker, errors)
       SELECT id, f, v, e, et, k, s, a, tr, sq, sa, fa, er, st, ARRAY(SELECT jsonb_array_elements_text(bk)), ev, h, str, pa, dc, w, ers FROM unnest(${p(col(runs, "id"))}::text[], ${p(col(runs, "flowId"))}::text[], ${p(col(runs, "flowVersion"))}::int[], ${p(col(runs, "eventId"))}::text[],
         ${p(col(runs, "eventType"))}::text[], ${p(col(runs, "orderingKey"))}::text[], ${p(col(runs, "status"))}::text[], ${p(col(runs, "attempts"))}::int[],
         ${p(col(runs, "traceId"))}::text[], ${p(bigCol(runs, "sequence"))}::bigint[], ${p(col(runs, "startedAt").map(utc))}::timestamp[],
         ${p(col(runs, "finishedAt").map(utc))}::timestamp[], ${p(col(runs, "error"))}::text[], ${p(jsonCol(runs, "steps"))}::jsonb[],
         ${p(jsonCol(runs, "businessKeys"))}::jsonb[], ${p(jsonCol(runs, "event"))}::jsonb[], ${p(jsonCol(runs, "headers"))}::jsonb[],
         ${p(col(runs, "stream"))}::text[], ${p(col(runs, "partition"))}::int[], ${p(col(runs, "deliveryCount"))}::int[],
         ${p(col(runs, "worker"))}::text[], ${p(jsonCol(runs, "errors"))}::jsonb[])
         AS t(id, f, v, e, et, k, s, a, tr, sq, sa, fa, er, st, bk, ev, h, str, pa, dc, w, ers)
       WHERE EXISTS (SELECT 1 FROM fence) RETURNING 1)`);
  }
  if (processed.length) {
    ctes.push(`processed AS (INSERT INTO "ProcessedEvent" ("eventId", "flowId", "processedAt")
       SELECT e, f, now() AT TIME ZONE 'UTC' FROM unnest(${p(col(processed, "eventId"))}::text[], ${p(col(processed, "flowId"))}::text[]) AS t(e, f)
       WHERE EXISTS (SELECT 1 FROM fence) ON CONFLICT DO NOTHING RETURNING 1)`);
  }
  if (held.length) {
    // ids (the queue order) follow the order the batch decided on.
    ctes.push(`held AS (INSERT INTO "HeldEvent" ("partition", "flowId", "flowVersion", "orderingKey", "eventId", event, headers, sequence, attempts, errors, "nextAttemptAt", "firstFailedAt", "runId", steps)
       SELECT pa, f, v, k, e, ev, h, s, a, er, n, ff, r, st
       FROM unnest(${p(col(held, "partition"))}::int[], ${p(col(held, "flowId"))}::text[], ${p(col(held, "flowVersion"))}::int[], ${p(col(held, "orderingKey"))}::text[],
         ${p(col(held, "eventId"))}::text[], ${p(jsonCol(held, "event"))}::jsonb[], ${p(jsonCol(held, "headers"))}::jsonb[], ${p(bigCol(held, "sequence"))}::bigint[],
         ${p(col(held, "attempts"))}::int[], ${p(jsonCol(held, "errors"))}::jsonb[], ${p(col(held, "nextAttemptAt").map(utc))}::timestamp[],
         ${p(col(held, "firstFailedAt").map(utc))}::timestamp[], ${p(col(held, "runId"))}::text[], ${p(jsonCol(held, "steps"))}::jsonb[])
         WITH ORDINALITY AS t(pa, f, v, k, e, ev, h, s, a, er, n, ff, r, st, ord)
       WHERE EXISTS (SELECT 1 FROM fence) ORDER BY ord RETURNING 1)`);
  }
  if (deadLetters.length) {
    ctes.push(`dead AS (INSERT INTO "DeadLetter" (id, "flowId", "flowVersion", "nodeId", "orderingKey", "eventId", "eventType", event, headers, attempts, error, "traceId", "runId", steps, sequence, "partition", status, "updatedAt")
       SELECT *, now() AT TIME ZONE 'UTC' FROM unnest(${p(col(deadLetters, "id"))}::text[], ${p(col(deadLetters, "flowId"))}::text[], ${p(col(deadLetters, "flowVersion"))}::int[],
         ${p(col(deadLetters, "nodeId"))}::text[], ${p(col(deadLetters, "orderingKey"))}::text[], ${p(col(deadLetters, "eventId"))}::text[], ${p(col(deadLetters, "eventType"))}::text[],
         ${p(jsonCol(deadLetters, "event"))}::jsonb[], ${p(jsonCol(deadLetters, "headers"))}::jsonb[], ${p(jsonCol(deadLetters, "attempts"))}::jsonb[], ${p(col(deadLetters, "error"))}::text[],
         ${p(col(deadLetters, "traceId"))}::text[], ${p(col(deadLetters, "runId"))}::text[], ${p(jsonCol(deadLetters, "steps"))}::jsonb[], ${p(bigCol(deadLetters, "sequence"))}::bigint[],
         ${p(col(deadLetters, "partition"))}::int[], ${p(col(deadLetters, "status"))}::text[])
       WHERE EXISTS (SELECT 1 FROM fence) RETURNING 1)`);
  }
  const result = await pool.query<{ fenced: number }>(`WITH ${ctes.join(",\n")} SELECT (SELECT count(*) FROM fence)::int AS fenced`, params);
  if (result.rows[0]?.fenced !== 1) throw new LostLeaseError(lease.partition);
}

/** Prisma stores DateTime as `timestamp(3)` in UTC; pass ISO strings so pg does not apply the session zone. */
function utc(date: Date | null): string | null {
  return date ? date.toISOString().replace("Z", "") : null;
}

export async function processedPairs(pool: Pool, eventIds: string[]): Promise<Set<string>> {
  const result = await pool.query<{ eventId: string; flowId: string }>(
    `SELECT "eventId", "flowId" FROM "ProcessedEvent" WHERE "eventId" = ANY($1::text[])`,
    [eventIds],
  );
  return new Set(result.rows.map((r) => `${r.eventId}\u0000${r.flowId}`));
}
