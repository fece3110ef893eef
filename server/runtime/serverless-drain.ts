import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { hostname } from "node:os";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { db, dbPool } from "@/server/db/client";
import { env } from "@/server/env";
import { sharedNats } from "@/server/nats/connection";
import { streamLayoutFromEnv } from "@/server/events/ingest";
import { PartitionDrain, type DrainReport } from "./partition-drain";
import { partitionOf } from "./stream-layout";
import { TestRunProcessor } from "./test-run-processor";
import { runAlertsOnce } from "@/server/alerts/alert-sender";

// The web app's side of serverless mode: one PartitionDrain per warm instance (on the instance's one
// pg pool and NATS connection), used by POST /api/events after its 202 and by GET /api/cron/drain;
// and one TestRunProcessor that runs queued test events (docs/decisions/0017), used after the
// editor's flows.testEvent and by GET /api/cron/drain.

const globalForDrain = globalThis as typeof globalThis & { __synclineDrain?: Promise<PartitionDrain>; __synclineTestRuns?: Promise<TestRunProcessor> };

function executionServices(nc: Awaited<ReturnType<typeof sharedNats>>) {
  const e = env();
  return {
    httpAllowlist: e.SYNCLINE_HTTP_ALLOWLIST.split(",").map((s) => s.trim()).filter(Boolean),
    db: db(), nats: nc, prefix: e.SYNCLINE_PREFIX,
  };
}

function instanceTestRuns(): Promise<TestRunProcessor> {
  globalForDrain.__synclineTestRuns ??= (async () => {
    const nc = await sharedNats();
    return new TestRunProcessor({
      db: db(), js: jetstream(nc), jsm: await jetstreamManager(nc), layout: streamLayoutFromEnv(),
      workerId: `serverless:${hostname()}:${process.pid}`, services: executionServices(nc),
      log: (message, extra) => console.error(`[drain] ${message}`, extra ?? ""),
    });
  })().catch((error: unknown) => {
    globalForDrain.__synclineTestRuns = undefined;
    throw error;
  });
  return globalForDrain.__synclineTestRuns;
}

/**
 * After flows.testEvent queued a test run (serverless mode only): run the waiting test events
 * within the ingest drain budget. Returns how many it took; 0 when a worker runs them.
 */
export async function drainTestRunsAfterTestEvent(): Promise<number> {
  const e = env();
  if (e.SYNCLINE_WORKER !== "off") return 0;
  try {
    return await (await instanceTestRuns()).drain({ budgetMs: e.SYNCLINE_INGEST_DRAIN_BUDGET_MS });
  } catch (error) {
    // The test event is safe in its stream; the next cron drain runs it.
    console.error("[drain] after test event:", (error as Error).message);
    return 0;
  }
}

function instanceDrain(): Promise<PartitionDrain> {
  globalForDrain.__synclineDrain ??= (async () => {
    const e = env();
    const nc = await sharedNats();
    return new PartitionDrain({
      db: db(), pool: dbPool(), nc, layout: streamLayoutFromEnv(), maxRetryAgeMs: e.SYNCLINE_MAX_RETRY_AGE_MS,
      services: executionServices(nc),
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

/**
 * GET /api/cron/drain: due schedule ticks, then every partition with something to do, until the
 * budget runs out; beside it, the test events waiting in the tests stream (within the same budget);
 * then alerts.
 */
export async function cronDrain(): Promise<DrainReport & { testRunsRun: number }> {
  const e = env();
  const budgetMs = e.SYNCLINE_CRON_DRAIN_BUDGET_MS;
  const [drain, testRuns] = await Promise.all([instanceDrain(), instanceTestRuns()]);
  const [report, testRunsRun] = await Promise.all([drain.drain({ budgetMs, scheduleTicks: true }), testRuns.drain({ budgetMs })]);
  // With no worker, the drain sends Settings → Alerts webhooks (server/alerts/); a failure there never fails the drain.
  await runAlertsOnce({
    db: db(), workerId: "serverless-drain", publicUrl: e.SYNCLINE_PUBLIC_URL,
    allowlist: e.SYNCLINE_HTTP_ALLOWLIST.split(",").map((s) => s.trim()).filter(Boolean),
  }).catch((error: unknown) => console.error("[drain] alerts:", (error as Error).message));
  return { ...report, testRunsRun };
}

export type CronAuthorization = "ok" | "unconfigured" | "denied";

/** Checks `Authorization: Bearer <CRON_SECRET>` in constant time (digests, so lengths leak nothing either). */
export function authorizeCron(header: string | null, secret: string | undefined): CronAuthorization {
  if (!secret) return "unconfigured";
  const given = createHash("sha256").update(header ?? "").digest();
  const expected = createHash("sha256").update(`Bearer ${secret}`).digest();
  return timingSafeEqual(given, expected) ? "ok" : "denied";
}
