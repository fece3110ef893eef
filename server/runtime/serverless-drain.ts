import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { db, dbPool } from "@/server/db/client";
import { env } from "@/server/env";
import { sharedNats } from "@/server/nats/connection";
import { streamLayoutFromEnv } from "@/server/events/ingest";
import { PartitionDrain, type DrainReport } from "./partition-drain";
import { partitionOf } from "./stream-layout";
import { runAlertsOnce } from "@/server/alerts/alert-sender";

// The web app's side of serverless mode: one PartitionDrain per warm instance (on the instance's one
// pg pool and NATS connection), used by POST /api/events after its 202 and by GET /api/cron/drain.

const globalForDrain = globalThis as typeof globalThis & { __synclineDrain?: Promise<PartitionDrain> };

function instanceDrain(): Promise<PartitionDrain> {
  globalForDrain.__synclineDrain ??= (async () => {
    const e = env();
    const nc = await sharedNats();
    const database = db();
    const pool = dbPool();
    return new PartitionDrain({
      db: database, pool, nc, layout: streamLayoutFromEnv(), maxRetryAgeMs: e.SYNCLINE_MAX_RETRY_AGE_MS,
      services: {
        httpAllowlist: e.SYNCLINE_HTTP_ALLOWLIST.split(",").map((s) => s.trim()).filter(Boolean),
        db: database, nats: nc, prefix: e.SYNCLINE_PREFIX,
      },
    });
  })().catch((error: unknown) => {
    globalForDrain.__synclineDrain = undefined;
    throw error;
  });
  return globalForDrain.__synclineDrain;
}

/** After an accepted POST /api/events: drain the partitions its events went to (serverless mode only). */
export async function drainAfterIngest(orderingKeys: string[]): Promise<void> {
  const e = env();
  if (e.SYNCLINE_WORKER !== "off") return;
  const partitions = [...new Set(orderingKeys.map((key) => partitionOf(key, e.SYNCLINE_PARTITIONS)))];
  try {
    const drain = await instanceDrain();
    await drain.drain({ budgetMs: e.SYNCLINE_INGEST_DRAIN_BUDGET_MS, partitions });
  } catch (error) {
    // The events are safe in JetStream; the next cron drain runs them.
    console.error("[drain] after ingest:", (error as Error).message);
  }
}

/** GET /api/cron/drain: due schedule ticks, then every partition with something to do, until the budget runs out; then alerts. */
export async function cronDrain(): Promise<DrainReport> {
  const drain = await instanceDrain();
  const report = await drain.drain({ budgetMs: env().SYNCLINE_CRON_DRAIN_BUDGET_MS, scheduleTicks: true });
  // With no worker, the drain sends Settings → Alerts webhooks (server/alerts/); a failure there never fails the drain.
  const e = env();
  await runAlertsOnce({
    db: db(), workerId: "serverless-drain", publicUrl: e.SYNCLINE_PUBLIC_URL,
    allowlist: e.SYNCLINE_HTTP_ALLOWLIST.split(",").map((s) => s.trim()).filter(Boolean),
  }).catch((error: unknown) => console.error("[drain] alerts:", (error as Error).message));
  return report;
}

export type CronAuthorization = "ok" | "unconfigured" | "denied";

/** Checks `Authorization: Bearer <CRON_SECRET>` in constant time (digests, so lengths leak nothing either). */
export function authorizeCron(header: string | null, secret: string | undefined): CronAuthorization {
  if (!secret) return "unconfigured";
  const given = createHash("sha256").update(header ?? "").digest();
  const expected = createHash("sha256").update(`Bearer ${secret}`).digest();
  return timingSafeEqual(given, expected) ? "ok" : "denied";
}
