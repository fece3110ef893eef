import "server-only";
import * as z from "zod";
import { db } from "@/server/db/client";
import type { PrismaClient } from "@/server/db/generated/client";
import { sharedNatsStatus } from "@/server/nats/connection";
import { describeStuck, STUCK_AFTER_MS, stuckPartitions } from "@/server/monitoring/partition-progress";

const componentHealthSchema = z.object({
  ok: z.boolean(),
  latencyMs: z.number().optional(),
  detail: z.string().optional(),
  error: z.string().optional(),
});
/** A worker counts as alive when its last heartbeat is this recent. */
const WORKER_SEEN_WITHIN_MS = 30_000;

const workerHealthSchema = z.object({
  id: z.string(),
  hostname: z.string(),
  pid: z.number().int(),
  partitions: z.array(z.number().int()).meta({ description: "Partitions this worker owns" }),
  lag: z.number().meta({ description: "Events waiting in the stream for its partitions at its last heartbeat" }),
  seenAt: z.iso.datetime(),
});
const workersHealthSchema = z
  .object({
    ok: z.boolean().meta({ description: "At least one worker sent a heartbeat in the last 30 s" }),
    count: z.number().int(),
    totalLag: z.number().meta({ description: "Events waiting in the stream across all live workers" }),
    active: z.array(workerHealthSchema),
    error: z.string().optional(),
  })
  .meta({
    description:
      "Workers seen in the last 30 s. Not part of `status`: the web app answers requests without a worker " +
      "(events wait in JetStream), and a load balancer should not take it out of service for that.",
  });

const stuckPartitionSchema = z.object({
  partition: z.number().int(),
  owner: z.string().meta({ description: "The worker (or drain) holding its lease" }),
  lag: z.number().meta({ description: "Events waiting in it, as its owner last reported" }),
  stillForMs: z.number().meta({ description: "How long its cursor has not moved" }),
});

export const healthSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  reasons: z.array(z.string()).meta({ description: "Why the status is degraded, in words; empty when ok" }),
  database: componentHealthSchema,
  nats: componentHealthSchema.extend({ jetstream: z.boolean() }),
  workers: workersHealthSchema,
  stuckPartitions: z.array(stuckPartitionSchema).meta({
    description: `Partitions whose lease is held and that have events waiting, but whose cursor has not moved for ${STUCK_AFTER_MS / 1000} s`,
  }),
});
export type Health = z.infer<typeof healthSchema>;

async function databaseHealth(prisma: () => PrismaClient): Promise<Health["database"]> {
  const started = performance.now();
  try {
    await prisma().$queryRaw`SELECT 1`;
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, error: `Database unreachable: ${(error as Error).message}` };
  }
}

async function natsHealth(): Promise<Health["nats"]> {
  const started = performance.now();
  const result = await sharedNatsStatus(2_000);
  return {
    ok: result.ok,
    jetstream: result.jetstream,
    latencyMs: Math.round(performance.now() - started),
    detail: result.server ? `nats-server ${result.server}` : undefined,
    error: result.error,
  };
}

/**
 * Workers with a heartbeat in the last 30 s. Compared with the database's clock, which is the one
 * heartbeats write (`seenAt = now()`), so clock skew between hosts cannot hide a live worker.
 */
async function workersHealth(prisma: () => PrismaClient = db): Promise<Health["workers"]> {
  try {
    const rows = await prisma().$queryRaw<{ id: string; hostname: string; pid: number; partitions: number[]; lag: bigint; seenAt: Date }[]>`
      SELECT id, hostname, pid, partitions, lag, "seenAt" FROM "Worker"
      WHERE "seenAt" > now() - ${WORKER_SEEN_WITHIN_MS} * interval '1 millisecond'
      ORDER BY hostname, pid, id`;
    const active = rows.map((row) => ({
      id: row.id,
      hostname: row.hostname,
      pid: row.pid,
      partitions: [...row.partitions].sort((a, b) => a - b),
      lag: Number(row.lag),
      seenAt: row.seenAt.toISOString(),
    }));
    return { ok: active.length > 0, count: active.length, totalLag: active.reduce((sum, w) => sum + w.lag, 0), active };
  } catch (error) {
    return { ok: false, count: 0, totalLag: 0, active: [], error: `Cannot read workers: ${(error as Error).message}` };
  }
}

async function stuckHealth(prisma: () => PrismaClient, stuckAfterMs: number): Promise<Health["stuckPartitions"]> {
  try {
    return await stuckPartitions(prisma(), stuckAfterMs);
  } catch {
    return []; // the database check reports an unreachable database
  }
}

export async function health(options: { prisma?: () => PrismaClient; stuckAfterMs?: number } = {}): Promise<Health> {
  const prisma = options.prisma ?? db;
  const [database, nats, workers, stuck] = await Promise.all([
    databaseHealth(prisma), natsHealth(), workersHealth(prisma), stuckHealth(prisma, options.stuckAfterMs ?? STUCK_AFTER_MS),
  ]);
  const reasons = [
    ...(database.ok ? [] : [database.error ?? "the database is unreachable"]),
    ...(nats.ok ? [] : [nats.error ?? "NATS is unreachable"]),
    ...stuck.map(describeStuck),
  ];
  return { status: reasons.length === 0 ? "ok" : "degraded", reasons, database, nats, workers, stuckPartitions: stuck };
}
