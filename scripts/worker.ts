// `npm run worker`: one runtime worker process. Start as many as you like, on one machine or
// several; they share the partitions of the event stream between them.
import { parseEnv } from "../server/env";
import { applyMigrations } from "../server/db/migrations";
import { createPrismaClient } from "../server/db/create-client";
import { connectNats, resolveNatsUrl } from "../server/nats/connection";
import { Worker } from "../server/runtime/worker";
import { secretKeyFromEnv } from "../server/credentials/secret-box";
import pg from "pg";
import { sharedExpressionSandbox } from "../server/expressions/expression-sandbox";
import { startTracing } from "../server/tracing/start-tracing";

// Started by npm start (scripts/worker-supervisor.ts): when the process that started it is gone,
// this one ends too. Before it has started there is nothing to finish; after, it stops like on SIGTERM.
let stopWorker: ((why: string) => Promise<void>) | undefined;
process.on("disconnect", () => (stopWorker ? void stopWorker("npm start ended") : process.exit(0)));

async function main() {
  const config = parseEnv(process.env);
  if (!config.DATABASE_URL) throw new Error("DATABASE_URL is not set (npm start sets it for the embedded database).");
  secretKeyFromEnv(); // refuses to start in production without SYNCLINE_SECRET_KEY
  // OpenTelemetry traces when OTEL_EXPORTER_OTLP_ENDPOINT is set (README "Traces").
  const tracing = await startTracing("worker");
  await applyMigrations(config.DATABASE_URL);
  // Expression threads start now, not inside the first event's run (where start-up would count
  // against the run's inline budget).
  sharedExpressionSandbox().warmUp();
  const db = createPrismaClient(config.DATABASE_URL);
  // One connection per partition batch in flight, plus room for lanes and lookups.
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: Math.min(40, config.SYNCLINE_PARTITIONS + 8) });
  // A connection the database ends while idle is replaced on the next query; it must not kill the worker.
  pool.on("error", (error) => console.warn(`[worker] database connection lost: ${error.message}`));
  const nats = await resolveNatsUrl({ natsUrl: config.NATS_URL, dataDir: config.DATA_DIR });
  const nc = await connectNats(nats.url, { name: `${config.SYNCLINE_PREFIX}-worker` });
  const worker = new Worker({
    db,
    pool,
    nc,
    layout: { prefix: config.SYNCLINE_PREFIX, partitions: config.SYNCLINE_PARTITIONS, duplicateWindowMs: config.SYNCLINE_DUPLICATE_WINDOW_MS },
    services: {
      httpAllowlist: config.SYNCLINE_HTTP_ALLOWLIST.split(",").map((s) => s.trim()).filter(Boolean),
      db,
      nats: nc,
      prefix: config.SYNCLINE_PREFIX,
    },
    maxRetryAgeMs: config.SYNCLINE_MAX_RETRY_AGE_MS,
    retention: { runRetentionMs: config.SYNCLINE_RUN_RETENTION_MS, processedRetentionMs: config.SYNCLINE_PROCESSED_RETENTION_MS },
  });
  await worker.start();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[worker] ${signal}: finishing in-flight work and handing partitions back…`);
    await worker.stop();
    await nc.drain().catch(() => undefined);
    await db.$disconnect();
    await pool.end();
    await tracing?.shutdown().catch(() => undefined);
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  stopWorker = shutdown;
}

main().catch((error: unknown) => {
  console.error(`[worker] ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exit(1);
});
