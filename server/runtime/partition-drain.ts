import "server-only";
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Pool } from "pg";
import type { PrismaClient } from "@/server/db/generated/client";
import type { ExecutionServices } from "@/server/nodes/define-executor";
import { FlowCatalog } from "./flow-catalog";
import { PartitionProcessor } from "./partition-processor";
import { ensurePartitions, releaseLease, renewLeases, toLease, type Lease } from "./partition-leases";
import { ensureEventsStream, eventsStreamName, type StreamLayout } from "./stream-layout";
import { Scheduler } from "@/server/scheduler/scheduler";

// Serverless mode (SYNCLINE_WORKER=off): a function moves events for a while and then ends. A
// drain takes a partition's lease exactly like a worker (same epoch fencing, so a paused or killed
// drain cannot commit after someone else took over), runs the same PartitionProcessor until the
// partition has nothing left to do right now — its consumer is caught up and no held event is due —
// and hands the lease back. A lease held by a live worker or another drain is left alone. A drain
// killed mid-way commits nothing more: its lease runs out and the next drain (or a worker) starts
// again after the committed cursor.

export interface DrainDeps {
  db: PrismaClient;
  pool: Pool;
  nc: NatsConnection;
  layout: StreamLayout;
  services: ExecutionServices;
  maxRetryAgeMs: number;
  /** How long a drain's lease lasts without renewal: how soon work of a killed drain is picked up again. */
  leaseTtlMs?: number;
  inlineBudgetMs?: number;
  log?: (message: string, extra?: unknown) => void;
}

export interface PartitionDrainResult {
  partition: number;
  /** Stream messages committed by this drain (cursor advance). */
  events: number;
  /** Held events (retries, delays, queued behind them) and redrives that ran. */
  heldRuns: number;
  /** false: the budget ran out while work was left. */
  complete: boolean;
}

export interface DrainReport {
  /** Schedule-trigger ticks this drain published (asked for with `scheduleTicks`). */
  scheduleTicksFired: number;
  partitionsDrained: number[];
  /** Partitions skipped because a worker or another drain holds their lease. */
  partitionsBusy: number[];
  eventsProcessed: number;
  heldEventsRun: number;
  /** The budget ran out before every partition was done. */
  budgetExhausted: boolean;
}

const POLL_MS = 50;
/** Held events due within this long are run by the drain that is already there. */
const SOON_MS = 1_000;

/** The durable consumer a PartitionProcessor (re)creates for a partition. */
function partitionConsumerName(layout: StreamLayout, partition: number) {
  return `${eventsStreamName(layout)}_p${partition}`;
}

/** Takes this partition's lease if nobody holds a live one. */
export async function acquireThisPartition(db: PrismaClient, owner: string, partition: number, ttlMs: number): Promise<Lease | undefined> {
  const rows = await db.$queryRaw<Parameters<typeof toLease>[0][]>`
    WITH pick AS (
      SELECT "partition", owner IS NOT NULL AS died FROM "Partition"
      WHERE "partition" = ${partition} AND (owner IS NULL OR "leaseUntil" < now())
      FOR UPDATE SKIP LOCKED)
    UPDATE "Partition" AS p SET owner = ${owner}, "leaseUntil" = now() + ${ttlMs} * interval '1 millisecond',
      epoch = epoch + 1, lag = 0, "cursorMovedAt" = now(), "updatedAt" = now()
    FROM pick WHERE p."partition" = pick."partition"
    RETURNING p."partition", p.epoch, p.cursor, pick.died, p."runningSequence", p."runningDeaths"`;
  return toLease(rows[0]);
}

/**
 * Work a partition's key lanes could start within `horizonMs`: a held event at the head of its key
 * that is due (or was detached by an owner that went away) and not held back by a dead letter, or
 * a redrive or a discard of held events.
 */
async function runnableHeldWork(db: PrismaClient, catalog: FlowCatalog, partition: number, horizonMs: number): Promise<boolean> {
  const redrives = await db.deadLetter.count({ where: { partition, status: { in: ["redrive-requested", "discard-requested"] } } });
  if (redrives > 0) return true;
  const heads = await db.$queryRaw<{ flowId: string; orderingKey: string; blocked: boolean }[]>`
    SELECT h."flowId", h."orderingKey",
      EXISTS (SELECT 1 FROM "DeadLetter" d WHERE d."partition" = h."partition" AND d."flowId" = h."flowId"
              AND d."orderingKey" = h."orderingKey" AND d.status IN ('open', 'redrive-requested', 'discard-requested')) AS blocked
    FROM (SELECT DISTINCT ON ("flowId", "orderingKey") * FROM "HeldEvent" WHERE "partition" = ${partition}
          ORDER BY "flowId", "orderingKey", id) AS h
    WHERE h.state = 'detached' OR h."nextAttemptAt" <= now() + ${horizonMs} * interval '1 millisecond'`;
  return heads.some((h) => !h.blocked || catalog.policyOf(h.flowId) !== "hold");
}

async function heldCount(db: PrismaClient, partition: number): Promise<number> {
  return db.heldEvent.count({ where: { partition } });
}

export class PartitionDrain {
  readonly owner = `drain-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly catalog: FlowCatalog;
  private readonly log: (message: string, extra?: unknown) => void;
  private prepared?: Promise<void>;
  private resumeAt = 0;

  constructor(private readonly deps: DrainDeps) {
    this.catalog = new FlowCatalog(deps.db);
    this.log = deps.log ?? ((message, extra) => console.log(`[drain] ${message}`, extra ?? ""));
  }

  /** Stream, partition rows and flows; once per instance (flows are re-read at every drain). */
  private prepare() {
    this.prepared ??= (async () => {
      await ensureEventsStream(await jetstreamManager(this.deps.nc), this.deps.layout);
      await ensurePartitions(this.deps.db, this.deps.layout.partitions);
    })().catch((error) => {
      this.prepared = undefined;
      throw error;
    });
    return this.prepared;
  }

  /**
   * Drains the given partitions (default all) one after another until each has nothing left to do
   * now or `budgetMs` is spent. Partitions with a live lease elsewhere are skipped.
   */
  async drain(options: { budgetMs: number; partitions?: number[]; scheduleTicks?: boolean }): Promise<DrainReport> {
    const deadline = Date.now() + options.budgetMs;
    await this.prepare();
    // Ticks first, so this drain runs them. Concurrent drains (and workers) publish the same
    // tick under the same event id: JetStream keeps one (see scheduler.ts).
    const scheduleTicksFired = options.scheduleTicks
      ? await new Scheduler({ db: this.deps.db, nc: this.deps.nc, layout: this.deps.layout, log: this.log }).fireDue()
      : 0;
    await this.catalog.refresh();
    const partitions = options.partitions ?? [...Array(this.deps.layout.partitions).keys()];
    const report: DrainReport = { scheduleTicksFired, partitionsDrained: [], partitionsBusy: [], eventsProcessed: 0, heldEventsRun: 0, budgetExhausted: false };
    // Start where the previous drain stopped, so a busy partition cannot starve the later ones
    // when the budget runs out every time.
    const order = [...new Set(partitions)].sort((a, b) => a - b);
    const start = order.findIndex((p) => p >= this.resumeAt);
    const rotated = start <= 0 ? order : [...order.slice(start), ...order.slice(0, start)];
    for (const partition of rotated) {
      this.resumeAt = partition + 1;
      if (Date.now() >= deadline) {
        report.budgetExhausted = true;
        break;
      }
      const result = await this.drainPartition(partition, deadline);
      if (!result) {
        report.partitionsBusy.push(partition);
        continue;
      }
      if (result.events > 0 || result.heldRuns > 0) report.partitionsDrained.push(partition);
      report.eventsProcessed += result.events;
      report.heldEventsRun += result.heldRuns;
      if (!result.complete) report.budgetExhausted = true;
    }
    return report;
  }

  /** One partition; undefined when its lease is held elsewhere. */
  async drainPartition(partition: number, deadline: number): Promise<PartitionDrainResult | undefined> {
    const { db, nc } = this.deps;
    const ttl = this.deps.leaseTtlMs ?? 15_000;
    const lease = await acquireThisPartition(db, this.owner, partition, ttl);
    if (!lease) return undefined;
    const startCursor = lease.cursor;
    const jsm = await jetstreamManager(nc);
    const processor = new PartitionProcessor(
      {
        db, pool: this.deps.pool, js: jetstream(nc), jsm, layout: this.deps.layout,
        workerId: this.owner, catalog: this.catalog, services: this.deps.services, maxRetryAgeMs: this.deps.maxRetryAgeMs,
        inlineBudgetMs: this.deps.inlineBudgetMs, log: this.log,
      },
      lease,
    );
    let lost = false;
    processor.onLost = () => (lost = true);
    const heldBefore = await heldCount(db, partition);
    let complete = false;
    let renewedAt = Date.now();
    try {
      await processor.start();
      // Settle once the consumer is caught up (everything fetched is committed: the batch is acked
      // only after its commit) and no held event could run now.
      while (!lost) {
        if (Date.now() >= deadline) break;
        if (Date.now() - renewedAt > ttl / 3) {
          if ((await renewLeases(db, this.owner, [lease], ttl)).length > 0) {
            lost = true;
            break;
          }
          renewedAt = Date.now();
        }
        // A retry due in a moment is worth waiting for; a longer delay waits for the next cron tick.
        const horizon = Math.min(SOON_MS, deadline - Date.now());
        if ((await processor.lag()) === 0 && !(await runnableHeldWork(db, this.catalog, partition, horizon))) {
          complete = true;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } finally {
      // Lanes still running get what is left of the budget; abandoned work is run again by the
      // next owner with the same idempotency keys.
      await processor.stop(Math.max(0, deadline - Date.now()));
      if (!lost) await releaseLease(db, this.owner, lease).catch(() => undefined);
    }
    // The consumer was created afresh at the take-over, so its ack floor counts exactly the
    // messages this drain committed (a batch is acked only after its commit).
    let events = 0;
    if (processor.cursor > startCursor) {
      await nc.flush();
      const info = await jsm.consumers.info(eventsStreamName(this.deps.layout), partitionConsumerName(this.deps.layout, partition));
      events = info.ack_floor.consumer_seq;
    }
    // Rows that left the held queue ran (or were redriven); a rough but honest count for the report.
    const heldRuns = Math.max(0, heldBefore - (await heldCount(db, partition)));
    if (lost) this.log(`partition ${partition}: lease lost during the drain`);
    return { partition, events, heldRuns, complete: complete && !lost };
  }
}
