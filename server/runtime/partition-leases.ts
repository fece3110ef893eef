import "server-only";
import { Prisma, type PrismaClient } from "@/server/db/generated/client";

// One worker at a time owns a partition. Ownership is a lease row in Postgres with an epoch that
// changes on every hand-over; every write of the owner checks (partition, owner, epoch), so a
// worker that was paused past its lease (GC, SIGSTOP, network) cannot commit after a new owner
// took over. A killed worker's partitions are free again once its lease runs out.

export interface Lease {
  partition: number;
  epoch: number;
  cursor: bigint;
  /**
   * Present when the previous owner's lease ran out instead of being handed back (it died or
   * stalled): the event it had noted as running, if any, and how many owners died running it.
   */
  ownerDied?: { runningSequence: bigint | null; runningDeaths: number };
}

interface LeaseRow {
  partition: number;
  epoch: number;
  cursor: bigint;
  died: boolean;
  runningSequence: bigint | null;
  runningDeaths: number;
}

export function toLease(row: LeaseRow | undefined): Lease | undefined {
  if (!row) return undefined;
  const lease: Lease = { partition: row.partition, epoch: row.epoch, cursor: row.cursor };
  if (row.died) lease.ownerDied = { runningSequence: row.runningSequence, runningDeaths: row.runningDeaths };
  return lease;
}

export class LostLeaseError extends Error {
  constructor(readonly partition: number) {
    super(`lost the lease on partition ${partition}`);
    this.name = "LostLeaseError";
  }
}

export async function ensurePartitions(db: PrismaClient, count: number) {
  await db.$executeRaw`
    INSERT INTO "Partition" ("partition", "epoch", "cursor", "updatedAt")
    SELECT p, 0, 0, now() FROM generate_series(0, ${count - 1}::int) AS p
    ON CONFLICT ("partition") DO NOTHING`;
}

/** Takes one free or expired partition, if any. */
export async function acquirePartition(db: PrismaClient, owner: string, ttlMs: number, count: number): Promise<Lease | undefined> {
  const rows = await db.$queryRaw<LeaseRow[]>`
    WITH pick AS (
      SELECT "partition", owner IS NOT NULL AS died FROM "Partition"
      WHERE "partition" < ${count} AND (owner IS NULL OR "leaseUntil" < now())
      ORDER BY "partition" LIMIT 1 FOR UPDATE SKIP LOCKED)
    UPDATE "Partition" AS p SET owner = ${owner}, "leaseUntil" = now() + ${ttlMs} * interval '1 millisecond',
      epoch = epoch + 1, lag = 0, "cursorMovedAt" = now(), "updatedAt" = now()
    FROM pick WHERE p."partition" = pick."partition"
    RETURNING p."partition", p.epoch, p.cursor, pick.died, p."runningSequence", p."runningDeaths"`;
  return toLease(rows[0]);
}

// Every statement that updates several "Partition" rows (lease renewal, lag report, a group
// commit: outcome-writer.ts) locks them in ascending partition order first (the `locked`
// sub-select), whatever order its list or plan has: two of them running at once could otherwise
// each hold a row the other waits for, and Postgres ends one after deadlock_timeout (decision 0039).
const lockedInOrder = (partitions: number[]) =>
  Prisma.sql`(SELECT "partition" FROM "Partition" WHERE "partition" = ANY(${partitions}::int[]) ORDER BY "partition" FOR UPDATE) AS locked`;

/** Extends the leases still held; returns the partitions that were lost. */
export async function renewLeases(db: PrismaClient, owner: string, leases: Lease[], ttlMs: number): Promise<number[]> {
  if (leases.length === 0) return [];
  const partitions = leases.map((l) => l.partition);
  const epochs = leases.map((l) => l.epoch);
  const renewed = await db.$queryRaw<{ partition: number }[]>`
    UPDATE "Partition" AS p SET "leaseUntil" = now() + ${ttlMs} * interval '1 millisecond'
    FROM unnest(${partitions}::int[], ${epochs}::int[]) AS held(partition, epoch),
      ${lockedInOrder(partitions)}
    WHERE p."partition" = held.partition AND locked."partition" = p."partition" AND p.epoch = held.epoch AND p.owner = ${owner}
    RETURNING p."partition"`;
  const kept = new Set(renewed.map((r) => r.partition));
  return partitions.filter((p) => !kept.has(p));
}

/** The owner's view of how many events wait in each of its partitions (for stuck-partition checks). */
export async function reportLag(db: PrismaClient, owner: string, lags: { lease: Lease; lag: number }[]) {
  if (lags.length === 0) return;
  await db.$executeRaw`
    UPDATE "Partition" AS p SET lag = mine.lag
    FROM unnest(${lags.map((l) => l.lease.partition)}::int[], ${lags.map((l) => l.lease.epoch)}::int[], ${lags.map((l) => l.lag)}::bigint[]) AS mine(partition, epoch, lag),
      ${lockedInOrder(lags.map((l) => l.lease.partition))}
    WHERE p."partition" = mine.partition AND locked."partition" = p."partition" AND p.epoch = mine.epoch AND p.owner = ${owner}`;
}

export async function releaseLease(db: PrismaClient, owner: string, lease: Lease) {
  await db.$executeRaw`
    UPDATE "Partition" SET owner = NULL, "leaseUntil" = NULL, "updatedAt" = now()
    WHERE "partition" = ${lease.partition} AND owner = ${owner} AND epoch = ${lease.epoch}`;
}

export async function heartbeat(
  db: PrismaClient,
  worker: { id: string; hostname: string; pid: number; startedAt: Date },
  partitions: number[],
  lag: bigint,
  rssBytes: number = process.memoryUsage.rss(),
) {
  await db.$executeRaw`
    INSERT INTO "Worker" (id, hostname, pid, "startedAt", "seenAt", partitions, lag, "rssBytes")
    VALUES (${worker.id}, ${worker.hostname}, ${worker.pid}, ${worker.startedAt}, now(), ${partitions}::int[], ${lag}, ${rssBytes}::bigint)
    ON CONFLICT (id) DO UPDATE SET "seenAt" = now(), partitions = EXCLUDED.partitions, lag = EXCLUDED.lag, "rssBytes" = EXCLUDED."rssBytes"`;
}

export async function liveWorkerCount(db: PrismaClient, withinMs: number): Promise<number> {
  const [row] = await db.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM "Worker" WHERE "seenAt" > now() - ${withinMs} * interval '1 millisecond'`;
  return Number(row?.n ?? 1);
}

export async function forgetWorker(db: PrismaClient, id: string) {
  await db.$executeRaw`DELETE FROM "Worker" WHERE id = ${id}`;
}
