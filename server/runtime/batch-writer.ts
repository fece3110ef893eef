import "server-only";
import type { Pool, PoolClient } from "pg";
import { LostLeaseError, type Lease } from "./partition-leases";

// The hot path's one write per batch: the outcomes of up to hundreds of events and the partition's
// new cursor in a single transaction, fenced by the lease epoch. Plain SQL with unnest() arrays
// (one statement per table, a fixed number of parameters) instead of the ORM's row-by-row VALUES
// lists: at thousands of events per second this is where the time would otherwise go.

export interface RunInsert {
  id: string; flowId: string; flowVersion: number; eventId: string; eventType: string; orderingKey: string;
  status: string; attempts: number; traceId: string; sequence: bigint; startedAt: Date; finishedAt: Date | null;
  error: string | null; steps: unknown;
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

export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export async function fence(client: PoolClient, owner: string, lease: Lease, cursor?: bigint) {
  const result = cursor === undefined
    ? await client.query(`UPDATE "Partition" SET "updatedAt" = now() WHERE "partition" = $1 AND owner = $2 AND epoch = $3`, [lease.partition, owner, lease.epoch])
    : await client.query(
        `UPDATE "Partition" SET cursor = GREATEST(cursor, $4::bigint), "updatedAt" = now() WHERE "partition" = $1 AND owner = $2 AND epoch = $3`,
        [lease.partition, owner, lease.epoch, String(cursor)],
      );
  if (result.rowCount !== 1) throw new LostLeaseError(lease.partition);
}

export async function writeRows(client: PoolClient, rows: BatchRows) {
  const { runs, processed, held, deadLetters } = rows;
  if (runs.length) {
    await client.query(
      `INSERT INTO "Run" (id, "flowId", "flowVersion", "eventId", "eventType", "orderingKey", status, attempts, "traceId", sequence, "startedAt", "finishedAt", error, steps)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::bigint[], $11::timestamp[], $12::timestamp[], $13::text[], $14::jsonb[])`,
      [col(runs, "id"), col(runs, "flowId"), col(runs, "flowVersion"), col(runs, "eventId"), col(runs, "eventType"), col(runs, "orderingKey"),
        col(runs, "status"), col(runs, "attempts"), col(runs, "traceId"), bigCol(runs, "sequence"), col(runs, "startedAt").map(utc), col(runs, "finishedAt").map(utc),
        col(runs, "error"), jsonCol(runs, "steps")],
    );
  }
  if (processed.length) {
    await client.query(
      `INSERT INTO "ProcessedEvent" ("eventId", "flowId", "processedAt")
       SELECT e, f, now() AT TIME ZONE 'UTC' FROM unnest($1::text[], $2::text[]) AS t(e, f) ON CONFLICT DO NOTHING`,
      [col(processed, "eventId"), col(processed, "flowId")],
    );
  }
  if (held.length) {
    await client.query(
      `INSERT INTO "HeldEvent" ("partition", "flowId", "flowVersion", "orderingKey", "eventId", event, headers, sequence, attempts, errors, "nextAttemptAt", "firstFailedAt", "runId", steps)
       SELECT p, f, v, k, e, ev, h, s, a, er, n, ff, r, st
       FROM unnest($1::int[], $2::text[], $3::int[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[], $8::bigint[], $9::int[], $10::jsonb[], $11::timestamp[], $12::timestamp[], $13::text[], $14::jsonb[])
         WITH ORDINALITY AS t(p, f, v, k, e, ev, h, s, a, er, n, ff, r, st, ord)
       ORDER BY ord`, // ids (the queue order) follow the order the batch decided on
      [col(held, "partition"), col(held, "flowId"), col(held, "flowVersion"), col(held, "orderingKey"), col(held, "eventId"), jsonCol(held, "event"),
        jsonCol(held, "headers"), bigCol(held, "sequence"), col(held, "attempts"), jsonCol(held, "errors"), col(held, "nextAttemptAt").map(utc),
        col(held, "firstFailedAt").map(utc), col(held, "runId"), jsonCol(held, "steps")],
    );
  }
  if (deadLetters.length) {
    await client.query(
      `INSERT INTO "DeadLetter" (id, "flowId", "flowVersion", "nodeId", "orderingKey", "eventId", "eventType", event, headers, attempts, error, "traceId", "runId", steps, sequence, "partition", status, "updatedAt")
       SELECT *, now() AT TIME ZONE 'UTC' FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::jsonb[], $10::jsonb[], $11::text[], $12::text[], $13::text[], $14::jsonb[], $15::bigint[], $16::int[], $17::text[])`,
      [col(deadLetters, "id"), col(deadLetters, "flowId"), col(deadLetters, "flowVersion"), col(deadLetters, "nodeId"), col(deadLetters, "orderingKey"),
        col(deadLetters, "eventId"), col(deadLetters, "eventType"), jsonCol(deadLetters, "event"), jsonCol(deadLetters, "headers"), jsonCol(deadLetters, "attempts"),
        col(deadLetters, "error"), col(deadLetters, "traceId"), col(deadLetters, "runId"), jsonCol(deadLetters, "steps"), bigCol(deadLetters, "sequence"),
        col(deadLetters, "partition"), col(deadLetters, "status")],
    );
  }
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
