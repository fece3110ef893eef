// `npm start` / `npm run dev`: the one command that runs Syncline on a laptop.
// It fills in what is not configured — an embedded PGlite database when DATABASE_URL is unset, a
// local nats-server when NATS_URL is unset and none answers on 127.0.0.1:4222 — then runs the web
// app and one runtime worker with those settings (none with SYNCLINE_WORKER=off), and stops everything together.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "../server/env";
import { startEmbeddedPostgres } from "../server/db/embedded-postgres";
import { checkNats, resolveNatsUrl } from "../server/nats/connection";
import { applyMigrations } from "../server/db/migrations";
import { localSecretKey } from "../server/credentials/secret-box";
import { superviseProcess } from "./worker-supervisor";
import { childMemoryEnv, childNodeArgs } from "./child-memory";
import pg from "pg";

const dev = process.argv.includes("--dev");

async function main() {
  const config = parseEnv(process.env);
  const dataDir = path.resolve(config.DATA_DIR);
  const cleanups: (() => Promise<void>)[] = [];
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

  if (!config.DATABASE_URL) {
    const pg = await startEmbeddedPostgres({ dataDir });
    cleanups.push(() => pg.stop());
    childEnv.DATABASE_URL = pg.url;
    console.log(`[syncline] DATABASE_URL not set: embedded PGlite database in ${path.join(dataDir, "pglite")}`);
  }

  if (!config.SYNCLINE_SECRET_KEY) {
    // The web app and the worker must encrypt and decrypt credentials with the same key.
    const local = localSecretKey(dataDir);
    childEnv.SYNCLINE_SECRET_KEY = local.base64;
    console.log(`[syncline] SYNCLINE_SECRET_KEY not set: ${local.created ? "created" : "using"} ${local.file} (set the variable in production)`);
  }

  // Once, before the web app and the worker start: they would otherwise race to apply them
  // (the embedded database shares one session, so advisory locks cannot keep them apart).
  await applyMigrations(childEnv.DATABASE_URL!);

  const nats = await resolveNatsUrl({ natsUrl: config.NATS_URL, dataDir });
  cleanups.push(() => nats.stop());
  childEnv.NATS_URL = nats.url;
  if (nats.source === "env") {
    // A wrong password or CA would otherwise surface only as a failing worker and 503s from ingest.
    const health = await checkNats(nats.url, 5_000);
    if (!health.ok) throw new Error(`NATS is not usable: ${health.error}`);
  }
  if (nats.source !== "env") console.log(`[syncline] NATS_URL not set: using ${nats.url}${nats.source === "started" ? " (a nats-server started for you)" : ""}`);

  const nextBin = path.resolve("node_modules/next/dist/bin/next");
  if (!dev && !existsSync(path.resolve(".next/BUILD_ID"))) {
    console.log("[syncline] No production build yet: running `next build` once (a minute or two)…");
    await run(process.execPath, [nextBin, "build"], childEnv);
  }

  const children: ChildProcess[] = [];
  // Without a public URL this is a laptop install: listen on the loopback interface only, so
  // nobody else on the network reaches it. Behind a reverse proxy, set SYNCLINE_PUBLIC_URL.
  const hostname = config.SYNCLINE_PUBLIC_URL ? "0.0.0.0" : "127.0.0.1";
  // Production: Next behind our own node:http server on the same port, for the ingest fast path
  // (scripts/web-server.mjs, docs/decisions/0018). Dev: Next's own server with hot reload.
  const webArgs = dev ? [nextBin, "dev", "-p", String(config.PORT), "-H", hostname] : [...childNodeArgs("web"), path.resolve("scripts/web-server.mjs"), "--port", String(config.PORT), "--hostname", hostname];
  // Memory settings for both children: scripts/child-memory.ts (docs/decisions/0031).
  const web = spawn(process.execPath, webArgs, { stdio: "inherit", env: childMemoryEnv(childEnv) });
  children.push(web);
  // The runtime worker beside the web app; run more with `npm run worker` on other machines.
  // Supervised: a crashing worker is restarted with backoff while the web app keeps serving.
  // Serverless mode runs none: the web app drains after ingest and on GET /api/cron/drain.
  const worker =
    config.SYNCLINE_WORKER === "off"
      ? undefined
      : superviseProcess({
          name: "worker",
          command: process.execPath,
          args: [...childNodeArgs("worker"), "--conditions=react-server", path.resolve("scripts/run-worker.mjs")],
          env: childMemoryEnv(childEnv),
        });
  if (!worker) console.log("[syncline] SYNCLINE_WORKER=off: no worker process; events move after ingest and on GET /api/cron/drain");
  const openUrl = config.SYNCLINE_PUBLIC_URL ?? `http://localhost:${config.PORT}`;
  if (!config.SYNCLINE_PUBLIC_URL) {
    console.log(`[syncline] SYNCLINE_PUBLIC_URL not set: listening on 127.0.0.1 only (set it to serve other machines, e.g. behind a reverse proxy)`);
  }
  const needsSetup = !(config.SYNCLINE_ADMIN_EMAIL && config.SYNCLINE_ADMIN_PASSWORD) && !(await anyUserExists(childEnv.DATABASE_URL!));
  console.log(needsSetup ? `[syncline] First start: create the owner account at ${new URL("/setup", openUrl)}` : `[syncline] Open ${openUrl}`);

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const workerStopped = worker?.stop();
    for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
    await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((r) => child.once("exit", r)) : undefined)));
    await workerStopped;
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => console.error("[syncline] cleanup failed:", error));
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  // The web app is the product: when it stops, everything stops.
  web.on("exit", (code) => void stop(code ?? 1));
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

function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit", env });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(args[0] ?? command)} ${args[1] ?? ""} exited with ${code}`))));
  });
}

main().catch((error: unknown) => {
  console.error(`[syncline] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
