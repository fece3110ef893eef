import "server-only";
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Pool } from "pg";
import type { PrismaClient } from "@/server/db/generated/client";
import type { ExecutionServices } from "@/server/nodes/define-executor";
import { FlowCatalog } from "./flow-catalog";
import { PartitionProcessor } from "./partition-processor";
import { TestRunProcessor } from "./test-run-processor";
import {
  acquirePartition, ensurePartitions, forgetWorker, heartbeat, liveWorkerCount, releaseLease, renewLeases, reportLag, type Lease,
} from "./partition-leases";
import { ensureEventsStream, type StreamLayout } from "./stream-layout";
import { listenForChanges } from "./worker-notifier";
import { sweepRetention, type RetentionSettings } from "./retention";
import { Scheduler } from "@/server/scheduler/scheduler";
import { SourceRunner } from "@/server/sources/source-runner";
import { AlertSender } from "@/server/alerts/alert-sender";

// A worker process: keeps a fair share of the partitions (leases in Postgres), runs a
// PartitionProcessor for each, follows flow changes, and reports itself for GET /api/health.

export interface WorkerOptions {
  db: PrismaClient;
  /** Plain pg pool for the hot path's batch writes. */
  pool: Pool;
  nc: NatsConnection;
  layout: StreamLayout;
  services: ExecutionServices;
  maxRetryAgeMs: number;
  leaseTtlMs?: number;
  /** How often leases are renewed, shares rebalanced and flows re-checked. */
  tickMs?: number;
  inlineBudgetMs?: number;
  /** How often partitions look at dead letters when no redrive or discard poke came (key-lanes.ts). */
  deadLetterPollMs?: number;
  /** Run history and processed-event retention; swept about once a minute. */
  retention?: RetentionSettings;
  log?: (message: string, extra?: unknown) => void;
  /** Consume the pull sources (RabbitMQ) of Settings → Sources. Default true. */
  runSources?: boolean;
  /** Send Settings → Alerts webhooks (server/alerts/); false turns it off. Default on, every 2 s. */
  alerts?: false | { intervalMs?: number; retryBaseMs?: number; publicUrl?: string };
}

export class Worker {
  readonly id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly startedAt = new Date();
  private readonly processors = new Map<number, PartitionProcessor>();
  private readonly leases = new Map<number, Lease>();
  private readonly catalog: FlowCatalog;
  private timer?: NodeJS.Timeout;
  private subs: Subscription[] = [];
  private stopping = false;
  private ticking?: Promise<void>;
  private lastSweep = 0;
  private scheduler?: Scheduler;
  private testRuns?: TestRunProcessor;
  private sources?: SourceRunner;
  private alerts?: AlertSender;
  private readonly log: (message: string, extra?: unknown) => void;

  constructor(private readonly options: WorkerOptions) {
    this.catalog = new FlowCatalog(options.db);
    this.log = options.log ?? ((message, extra) => console.log(`[worker] ${message}`, extra ?? ""));
  }

  get partitions(): number[] {
    return [...this.processors.keys()].sort((a, b) => a - b);
  }

  async start() {
    const { db, nc, layout } = this.options;
    const jsm = await jetstreamManager(nc);
    await ensureEventsStream(jsm, layout);
    await ensurePartitions(db, layout.partitions);
    await this.catalog.refresh();
    await heartbeat(db, this.worker(), [], 0n);
    this.subs = listenForChanges(nc, layout, {
      flows: () => void this.catalog.refresh().catch(() => undefined),
      deadLetters: (partition) => {
        if (partition === undefined) for (const p of this.processors.values()) p.poke();
        else this.processors.get(partition)?.poke();
      },
    });
    await this.tick();
    this.scheduleTick();
    // Test runs (the editor's test-event button) come from their own stream, beside the partitions.
    this.testRuns = new TestRunProcessor({ db, js: jetstream(nc), jsm, layout, workerId: this.id, services: this.options.services, log: this.log });
    await this.testRuns.start();
    (this.scheduler = new Scheduler({ db, nc, layout, log: this.log })).start();
    if (this.options.runSources ?? true) {
      this.sources = new SourceRunner({ db, nats: async () => nc, layout, log: (message) => this.log(message) });
      await this.sources.start();
    }
    if (this.options.alerts !== false) {
      const alerts = this.options.alerts ?? {};
      this.alerts = new AlertSender({
        db, workerId: this.id, allowlist: this.options.services.httpAllowlist ?? [], log: this.log,
        publicUrl: alerts.publicUrl ?? process.env.SYNCLINE_PUBLIC_URL, intervalMs: alerts.intervalMs, retryBaseMs: alerts.retryBaseMs,
      });
      this.alerts.start();
    }
    this.log(`${this.id} started; partitions ${this.partitions.join(",") || "none yet"}`);
  }

  private worker() {
    return { id: this.id, hostname: hostname(), pid: process.pid, startedAt: this.startedAt };
  }

  private scheduleTick() {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((error) => this.log("maintenance tick failed", (error as Error).message))
        .finally(() => this.scheduleTick());
    }, this.options.tickMs ?? 1_000);
  }

  /** Renew leases, follow flow changes, take or give back partitions to keep shares even. */
  private async tick() {
    const { db, layout } = this.options;
    const ttl = this.options.leaseTtlMs ?? 10_000;
    const lost = await renewLeases(db, this.id, [...this.leases.values()], ttl);
    for (const partition of lost) await this.drop(partition, false);
    await this.catalog.refresh();

    let lag = 0n;
    const lags: { lease: Lease; lag: number }[] = [];
    for (const [partition, processor] of this.processors) {
      const waiting = await processor.lag();
      lag += BigInt(waiting);
      const lease = this.leases.get(partition);
      if (lease) lags.push({ lease, lag: waiting });
    }
    await heartbeat(db, this.worker(), this.partitions, lag);
    await reportLag(db, this.id, lags);

    const live = Math.max(1, await liveWorkerCount(db, ttl));
    const share = Math.ceil(layout.partitions / live);
    while (!this.stopping && this.processors.size < share) {
      const lease = await acquirePartition(db, this.id, ttl, layout.partitions);
      if (!lease) break;
      await this.run(lease);
    }
    if (this.options.retention && Date.now() - this.lastSweep > 60_000) {
      this.lastSweep = Date.now();
      const swept = await sweepRetention(this.options.pool, this.options.retention);
      if (swept.runs || swept.processed) this.log(`retention: deleted ${swept.runs} runs and ${swept.processed} processed-event records`);
    }
    // Give back what is above our share so a newly started worker gets its part.
    while (!this.stopping && this.processors.size > share) {
      const partition = Math.max(...this.processors.keys());
      await this.drop(partition, true);
    }
  }

  private async run(lease: Lease) {
    const js = jetstream(this.options.nc);
    const jsm = await jetstreamManager(this.options.nc);
    const processor = new PartitionProcessor(
      {
        db: this.options.db, pool: this.options.pool, js, jsm, layout: this.options.layout, workerId: this.id, catalog: this.catalog,
        services: this.options.services, maxRetryAgeMs: this.options.maxRetryAgeMs,
        inlineBudgetMs: this.options.inlineBudgetMs, deadLetterPollMs: this.options.deadLetterPollMs, log: this.log,
      },
      lease,
    );
    processor.onLost = (partition) => {
      this.processors.delete(partition);
      this.leases.delete(partition);
    };
    this.processors.set(lease.partition, processor);
    this.leases.set(lease.partition, lease);
    try {
      await processor.start();
    } catch (error) {
      this.log(`could not start partition ${lease.partition}`, (error as Error).message);
      this.processors.delete(lease.partition);
      this.leases.delete(lease.partition);
      await processor.stop(0);
      await releaseLease(this.options.db, this.id, lease).catch(() => undefined);
    }
  }

  private async drop(partition: number, release: boolean) {
    const processor = this.processors.get(partition);
    const lease = this.leases.get(partition);
    this.processors.delete(partition);
    this.leases.delete(partition);
    await processor?.stop();
    if (release && lease) await releaseLease(this.options.db, this.id, lease).catch(() => undefined);
  }

  /** Graceful shutdown: finish current work, hand partitions back at once, leave NATS cleanly. */
  async stop() {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.timer);
    await this.scheduler?.stop();
    await this.testRuns?.stop();
    await this.sources?.stop();
    await this.alerts?.stop();
    await this.ticking?.catch(() => undefined);
    for (const sub of this.subs) sub.unsubscribe();
    await Promise.all(this.partitions.map((p) => this.drop(p, true)));
    await forgetWorker(this.options.db, this.id).catch(() => undefined);
  }
}
