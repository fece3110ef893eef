import "server-only";
import type { NatsConnection } from "@nats-io/transport-node";
import type { PrismaClient } from "@/server/db/generated/client";
import { ingestEvents } from "@/server/events/ingest";
import { systemEventRegistry, TARGET_FLOW_ATTRIBUTE } from "@/server/events/system-events";
import type { StreamLayout } from "@/server/runtime/stream-layout";
import { planTicks, type MissedTickPolicy } from "./plan-ticks";

// Fires schedule triggers. Every worker runs one, and in serverless mode every GET /api/cron/drain
// runs one round (partition-drain.ts); they need no leader, because a tick is published
// as an event whose id is the flow id plus the scheduled time: JetStream's duplicate window drops
// the copies other workers publish, and beyond it the runtime's processed-event records do. The
// last fired tick per flow is kept in Postgres (ScheduleCursor), so a restarted scheduler goes on
// from there instead of skipping or repeating ticks.

export interface SchedulerOptions {
  db: PrismaClient;
  nc: NatsConnection;
  layout: StreamLayout;
  /** Ticks at most this old when found are late and still fire; older ones are missed. */
  catchUpMs?: number;
  /** How often schedules are checked. */
  pollMs?: number;
  log?: (message: string, extra?: unknown) => void;
}

interface ScheduleRow {
  flowId: string;
  config: { cron?: string; timezone?: string; orderingKey?: string; missedTicks?: MissedTickPolicy };
  lastTickAt: Date | null;
}

const DEFAULT_CATCH_UP_MS = 60_000;

export class Scheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private readonly log: (message: string, extra?: unknown) => void;

  constructor(private readonly options: SchedulerOptions) {
    this.log = options.log ?? ((message, extra) => console.log(`[scheduler] ${message}`, extra ?? ""));
  }

  start() {
    this.loop();
  }

  private loop() {
    if (this.stopped) return;
    this.running = this.fireDue()
      .then(() => undefined, (error: unknown) => this.log("could not fire schedules", (error as Error).message))
      .finally(() => {
        if (!this.stopped) this.timer = setTimeout(() => this.loop(), this.options.pollMs ?? 250);
      });
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One round: publish every due tick of every enabled, published schedule flow; returns how many ticks it published. */
  async fireDue(now: Date = new Date()): Promise<number> {
    const { db } = this.options;
    const rows = await db.$queryRaw<ScheduleRow[]>`
      SELECT f.id AS "flowId", node->'config' AS config, c."lastTickAt"
      FROM "Flow" f
      JOIN "FlowVersion" v ON v."flowId" = f.id AND v.version = f."publishedVersion"
      CROSS JOIN LATERAL jsonb_array_elements(v.document->'nodes') AS node
      LEFT JOIN "ScheduleCursor" c ON c."flowId" = f.id
      WHERE f.enabled AND node->>'kind' = 'trigger:schedule'`;
    let fired = 0;
    for (const row of rows) {
      try {
        fired += await this.fireFlow(row, now);
      } catch (error) {
        this.log(`schedule of flow ${row.flowId}`, (error as Error).message);
      }
    }
    return fired;
  }

  private async fireFlow(row: ScheduleRow, now: Date): Promise<number> {
    const { db } = this.options;
    const cron = row.config.cron ?? "";
    const timezone = row.config.timezone || "UTC";
    if (!row.lastTickAt) {
      // A schedule seen for the first time starts now: nothing before it was missed.
      await db.$executeRaw`INSERT INTO "ScheduleCursor" ("flowId", "lastTickAt", "updatedAt") VALUES (${row.flowId}, ${now}, now()) ON CONFLICT DO NOTHING`;
      return 0;
    }
    const plan = planTicks({
      cron, timezone, last: row.lastTickAt, now, policy: row.config.missedTicks ?? "skip", catchUpMs: this.options.catchUpMs ?? DEFAULT_CATCH_UP_MS,
    });
    if (!plan.advanceTo) return 0;
    if (plan.fire.length > 0) {
      const subject = row.config.orderingKey?.trim() || "schedule";
      await ingestEvents(
        plan.fire.map((tick) => ({
          specversion: "1.0",
          id: `schedule:${row.flowId}:${tick.toISOString()}`,
          source: "/syncline/scheduler",
          type: "schedule.tick",
          subject,
          time: tick.toISOString(),
          data: { scheduledTime: tick.toISOString(), cron, timezone },
          [TARGET_FLOW_ATTRIBUTE]: row.flowId,
        })),
        { nats: async () => this.options.nc, layout: this.options.layout, registry: systemEventRegistry, now: () => now },
      );
    }
    // Only forward: a slower worker that planned from an older cursor must not move it back.
    await db.$executeRaw`UPDATE "ScheduleCursor" SET "lastTickAt" = GREATEST("lastTickAt", ${plan.advanceTo}), "updatedAt" = now() WHERE "flowId" = ${row.flowId}`;
    return plan.fire.length;
  }
}
