import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { flowNames } from "@/server/history/run-history";
import { heldEventsBySystem } from "@/server/outside-systems/outside-system-health";
import { stuckPartitions } from "./partition-progress";

// The runtime as the database sees it: workers and their heartbeats, who owns which partition,
// what waits (open dead letters, held events) per flow, and which outside systems (channels, and
// the targets behind credentials: RabbitMQ, EventBridge, Event Grid) are down (docs/decisions/0026).

type Db = PrismaClient;

/** A worker is up when it sent a heartbeat this recently (workers beat every few seconds). */
const WORKER_UP_WITHIN_MS = 30_000;
/** Workers gone longer than this are no longer listed. */
const WORKER_LISTED_WITHIN_MS = 3600_000;

export interface WorkerStatus {
  id: string;
  hostname: string;
  pid: number;
  partitions: number[];
  heartbeatAgeMs: number;
  up: boolean;
  /** Resident memory at its last heartbeat; null from a worker that does not report it. */
  rssBytes: number | null;
}

export interface PartitionOwnership {
  partition: number;
  owner: string | null;
  /** No owner, an expired lease, or an owner whose heartbeat stopped. */
  problem: string | null;
}

export interface FlowBacklog {
  flowId: string;
  flowName: string | null;
  openDeadLetters: number;
  heldEvents: number;
}

/** Health of an outside system as the runtime recorded it (docs/decisions/0026). */
interface OutsideSystemHealthFields {
  downSince: Date | null;
  lastSuccessAt: Date | null;
  lastError: string | null;
  /** Held events of flows that use this system (approximate). */
  heldEvents: number;
}

export interface ChannelStatus extends OutsideSystemHealthFields {
  id: string;
  name: string;
  type: string;
}

/** The outside system behind a credential that action nodes reached (a RabbitMQ broker, an AWS bus, an Event Grid topic). */
export interface TargetStatus extends OutsideSystemHealthFields {
  credentialId: string;
  name: string;
  /** The credential's type: rabbitmq | aws | eventgrid | … */
  type: string;
}

export interface RuntimeStatus {
  workers: WorkerStatus[];
  partitions: PartitionOwnership[];
  flows: FlowBacklog[];
  channels: ChannelStatus[];
  targets: TargetStatus[];
}

export async function runtimeStatus(db: Db): Promise<RuntimeStatus> {
  // Ages come from the database's clock, the one heartbeats and leases are written with.
  const [workers, partitions, deadLetters, held, channelRows, targetRows, stuck] = await Promise.all([
    db.$queryRaw<{ id: string; hostname: string; pid: number; partitions: number[]; age_ms: number; rssBytes: bigint | null }[]>`
      SELECT id, hostname, pid, partitions, "rssBytes", (extract(epoch FROM now() - "seenAt") * 1000)::float8 AS age_ms
      FROM "Worker" WHERE "seenAt" > now() - ${WORKER_LISTED_WITHIN_MS} * interval '1 millisecond' ORDER BY hostname, pid, id`,
    db.$queryRaw<{ partition: number; owner: string | null; expired: boolean }[]>`
      SELECT "partition", owner, ("leaseUntil" IS NULL OR "leaseUntil" < now()) AS expired FROM "Partition" ORDER BY "partition"`,
    db.deadLetter.groupBy({ by: ["flowId"], where: { status: { in: ["open", "redrive-requested"] } }, _count: { _all: true } }),
    db.heldEvent.groupBy({ by: ["flowId"], _count: { _all: true } }),
    db.channel.findMany({ select: { id: true, name: true, type: true, downSince: true, lastSuccessAt: true, lastError: true }, orderBy: { name: "asc" } }),
    // Only credentials a step has reached carry health (nodes that declare an outside system).
    db.credential.findMany({
      where: { OR: [{ lastSuccessAt: { not: null } }, { lastErrorAt: { not: null } }] },
      select: { id: true, name: true, type: true, downSince: true, lastSuccessAt: true, lastError: true }, orderBy: { name: "asc" },
    }),
    stuckPartitions(db),
  ]);
  const stuckBy = new Map(stuck.map((p) => [p.partition, p]));
  const workerStatus = workers.map((w) => ({
    id: w.id, hostname: w.hostname, pid: w.pid, partitions: [...w.partitions].sort((a, b) => a - b),
    heartbeatAgeMs: Math.max(0, Math.round(w.age_ms)), up: w.age_ms < WORKER_UP_WITHIN_MS,
    rssBytes: w.rssBytes === null ? null : Number(w.rssBytes),
  }));
  const up = new Set(workerStatus.filter((w) => w.up).map((w) => w.id));
  const flowIds = new Set([...deadLetters.map((d) => d.flowId), ...held.map((h) => h.flowId)]);
  const [names, heldBySystem] = await Promise.all([
    flowNames(db, flowIds),
    heldEventsBySystem(db, [...channelRows.map((c) => c.id), ...targetRows.map((t) => t.id)]),
  ]);
  return {
    workers: workerStatus,
    partitions: partitions.map((p) => ({
      partition: p.partition,
      owner: p.owner,
      problem: !p.owner || p.expired
        ? "no owner: its events wait until a worker takes it"
        : !up.has(p.owner)
          ? "its owner stopped sending heartbeats"
          : stuckBy.has(p.partition)
            ? `stuck: ${stuckBy.get(p.partition)!.lag} events waiting and its cursor has not moved for ${Math.round(stuckBy.get(p.partition)!.stillForMs / 1000)} s`
            : null,
    })),
    flows: [...flowIds].map((flowId) => ({
      flowId, flowName: names.get(flowId) ?? null,
      openDeadLetters: deadLetters.find((d) => d.flowId === flowId)?._count._all ?? 0,
      heldEvents: held.find((h) => h.flowId === flowId)?._count._all ?? 0,
    })).sort((a, b) => b.openDeadLetters + b.heldEvents - (a.openDeadLetters + a.heldEvents)),
    channels: channelRows.map((c) => ({ ...c, heldEvents: heldBySystem.get(c.id) ?? 0 })),
    targets: targetRows.map(({ id, ...t }) => ({ credentialId: id, ...t, heldEvents: heldBySystem.get(id) ?? 0 })),
  };
}
