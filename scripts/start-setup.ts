// The start-up steps of `npm start` (scripts/start.ts), in a child process of the launcher so that
// what they load (zod, pg, the NATS client, PGlite) does not stay in the launcher, which only
// supervises (docs/decisions/0034-memory-launcher-and-one-expression-thread.md). It fills in what is not
// configured — an embedded PGlite database when DATABASE_URL is unset, a local nats-server when
// NATS_URL is unset and none answers on 127.0.0.1:4222, the local secret key — applies the
// migrations, and sends the launcher what the web app and the worker need (StartSetup).
//
// It ends as soon as it has answered, unless it holds something the others use: the embedded
// database (PGlite lives in this process and serves it on 127.0.0.1) or a nats-server it started.
// Then it stays until the launcher says "stop" (after the web app and the worker have exited) or
// goes away; it ignores SIGINT and SIGTERM, which a terminal or a service manager sends to every
// process at once, so the database outlives the worker finishing its in-flight work.
import path from "node:path";
import { parseEnv } from "../server/env";
import { startEmbeddedPostgres } from "../server/db/embedded-postgres";
import { checkNats, resolveNatsUrl } from "../server/nats/connection";
import { applyMigrations } from "../server/db/migrations";
import { localSecretKey } from "../server/credentials/secret-box";
import pg from "pg";

/** What the launcher gets from the start-up steps (an IPC message). */
export type StartSetupMessage =
  | {
      kind: "ready";
      /** Variables the web app and the worker get on top of the launcher's environment. */
      env: Record<string, string>;
      port: number;
      publicUrl: string | undefined;
      worker: "on" | "off";
      /** Nobody can sign in yet: the first visit creates the owner account. */
      needsSetup: boolean;
      /** This process stays: it serves the embedded database or owns a nats-server. */
      resident: boolean;
    }
  | { kind: "failed"; message: string };

const cleanups: (() => Promise<void>)[] = [];
let stopping: Promise<void> | undefined;

function stop(): Promise<void> {
  stopping ??= (async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => console.error("[syncline] cleanup failed:", error));
    process.exit(0);
  })();
  return stopping;
}

async function main(): Promise<StartSetupMessage> {
  const config = parseEnv(process.env);
  const dataDir = path.resolve(config.DATA_DIR);
  const env: Record<string, string> = {};

  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    const embedded = await startEmbeddedPostgres({ dataDir });
    cleanups.push(() => embedded.stop());
    databaseUrl = env.DATABASE_URL = embedded.url;
    console.log(`[syncline] DATABASE_URL not set: embedded PGlite database in ${path.join(dataDir, "pglite")}`);
  }

  if (!config.SYNCLINE_SECRET_KEY) {
    // The web app and the worker must encrypt and decrypt credentials with the same key.
    const local = localSecretKey(dataDir);
    env.SYNCLINE_SECRET_KEY = local.base64;
    console.log(`[syncline] SYNCLINE_SECRET_KEY not set: ${local.created ? "created" : "using"} ${local.file} (set the variable in production)`);
  }

  // Once, before the web app and the worker start: they would otherwise race to apply them
  // (the embedded database shares one session, so advisory locks cannot keep them apart).
  await applyMigrations(databaseUrl);

  const nats = await resolveNatsUrl({ natsUrl: config.NATS_URL, dataDir });
  if (nats.source === "started") cleanups.push(() => nats.stop());
  env.NATS_URL = nats.url;
  if (nats.source === "env") {
    // A wrong password or CA would otherwise surface only as a failing worker and 503s from ingest.
    const health = await checkNats(nats.url, 5_000);
    if (!health.ok) throw new Error(`NATS is not usable: ${health.error}`);
  }
  if (nats.source !== "env") console.log(`[syncline] NATS_URL not set: using ${nats.url}${nats.source === "started" ? " (a nats-server started for you)" : ""}`);

  const needsSetup = !(config.SYNCLINE_ADMIN_EMAIL && config.SYNCLINE_ADMIN_PASSWORD) && !(await anyUserExists(databaseUrl));
  return { kind: "ready", env, port: config.PORT, publicUrl: config.SYNCLINE_PUBLIC_URL, worker: config.SYNCLINE_WORKER, needsSetup, resident: cleanups.length > 0 };
}

async function anyUserExists(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ exists: boolean }>(`SELECT EXISTS (SELECT 1 FROM "User") AS exists`);
    return rows[0]?.exists ?? false;
  } finally {
    await client.end();
  }
}

function send(message: StartSetupMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) reject(new Error("scripts/start-setup.ts is started by scripts/start.ts (npm start), with an IPC channel"));
    else process.send(message, (error: Error | null) => (error ? reject(error) : resolve()));
  });
}

process.on("SIGINT", () => {});
process.on("SIGTERM", () => {});
process.on("message", (message) => {
  if (message === "stop") void stop();
});
// The launcher is gone (killed, crashed): nobody will say "stop" any more.
process.on("disconnect", () => void stop());

const result = await main().catch((error: unknown): StartSetupMessage => ({ kind: "failed", message: error instanceof Error ? error.message : String(error) }));
await send(result).catch((error: unknown) => console.error(`[syncline] ${error instanceof Error ? error.message : String(error)}`));
if (result.kind === "failed" || !result.resident) {
  await stop();
}
