import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";

// A stuck partition: its lease is held (a worker says it owns it and keeps renewing), events wait
// in it (the lag its owner reported), and yet its cursor has not moved for a while. Nothing else
// reports that — the owner looks alive — so /api/health and the monitoring dashboard look for it.

/** A partition whose cursor stood still this long while it had lag counts as stuck. */
export const STUCK_AFTER_MS = 60_000;

export interface StuckPartition {
  partition: number;
  owner: string;
  lag: number;
  /** How long the cursor has not moved (database clock). */
  stillForMs: number;
}

export async function stuckPartitions(db: PrismaClient, stuckAfterMs = STUCK_AFTER_MS): Promise<StuckPartition[]> {
  const rows = await db.$queryRaw<{ partition: number; owner: string; lag: bigint; still_ms: number }[]>`
    SELECT "partition", owner, lag, (extract(epoch FROM now() - "cursorMovedAt") * 1000)::float8 AS still_ms
    FROM "Partition"
    WHERE owner IS NOT NULL AND "leaseUntil" >= now() AND lag > 0
      AND "cursorMovedAt" <= now() - ${stuckAfterMs} * interval '1 millisecond'
    ORDER BY "partition"`;
  return rows.map((r) => ({ partition: r.partition, owner: r.owner, lag: Number(r.lag), stillForMs: Math.max(0, Math.round(r.still_ms)) }));
}

/** What a person reads about a stuck partition. */
export function describeStuck(p: StuckPartition): string {
  const waiting = `${p.lag} event${p.lag === 1 ? "" : "s"} waiting`;
  return `partition ${p.partition} is stuck: ${waiting}, its cursor has not moved for ${Math.round(p.stillForMs / 1000)} s while ${p.owner} holds its lease`;
}
