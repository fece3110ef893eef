// `npm start` / `npm run dev`: the one command that runs Syncline on a laptop.
// Its start-up steps (scripts/start-setup.ts) fill in what is not configured — an embedded PGlite
// database when DATABASE_URL is unset, a local nats-server when NATS_URL is unset and none answers
// on 127.0.0.1:4222 — then it serves the web app and runs one runtime worker with those settings
// (none with SYNCLINE_WORKER=off), and stops everything together.
//
// The web app runs in this process (scripts/web-server.mjs): a launcher of its own beside it was
// a whole node process (~50 MB) that only waited (docs/decisions/0043-the-launcher-is-the-web-app.md).
// `npm run dev` runs Next's dev server as a child instead.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { superviseProcess } from "./worker-supervisor";
import { memoryEnv, nodeArgs } from "./child-memory";
import type { StartSetupMessage } from "./start-setup";

// This process stays resident for as long as the app runs, so before the web app starts it imports
// only what starting and supervising processes needs: the start-up steps (configuration, embedded
// database, migrations, NATS, first-start check) run in scripts/start-setup.ts, a child process
// (docs/decisions/0034-memory-launcher-and-one-expression-thread.md).
const dev = process.argv.includes("--dev");

async function main() {
  const setupProcess = spawn(process.execPath, ["--conditions=react-server", path.resolve("scripts/run-bundled.mjs"), "start-setup"], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let stopping = false;
  const stopSetup = async () => {
    if (setupProcess.exitCode !== null || setupProcess.signalCode !== null) return;
    const exited = new Promise((resolve) => setupProcess.once("exit", resolve));
    if (setupProcess.connected) setupProcess.send("stop");
    else setupProcess.kill("SIGTERM");
    await exited;
  };
  const children: ChildProcess[] = [];
  let workerStop: (() => Promise<void>) | undefined;
  let webClose: (() => Promise<void>) | undefined;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const workerStopped = workerStop?.();
    const webClosed = webClose?.();
    for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
    await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((r) => child.once("exit", r)) : undefined)));
    await Promise.all([workerStopped, webClosed]);
    // Last: it may serve the embedded database the others were still writing to.
    await stopSetup();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  const setup = await new Promise<StartSetupMessage>((resolve) => {
    setupProcess.once("message", (message) => resolve(message as StartSetupMessage));
    setupProcess.once("exit", (code, signal) => resolve({ kind: "failed", message: `the start-up steps ended (${signal ?? `exit code ${code}`}) before they were done` }));
  });
  if (setup.kind === "failed") throw new Error(setup.message);
  if (stopping) return;
  // A resident start-up process that ends takes the database or NATS with it: stop everything.
  if (setup.resident) setupProcess.once("exit", (code) => void stop(code || 1));
  const appEnv: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...setup.env };

  const nextBin = path.resolve("node_modules/next/dist/bin/next");
  if (!dev && !existsSync(path.resolve(".next/BUILD_ID"))) {
    console.log("[syncline] No production build yet: running `next build` once (a minute or two)…");
    await run(process.execPath, [nextBin, "build"], appEnv);
  }

  // The runtime worker beside the web app; run more with `npm run worker` on other machines.
  // Supervised: a crashing worker is restarted with backoff while the web app keeps serving.
  // Serverless mode runs none: the web app drains after ingest and on GET /api/cron/drain.
  // Memory settings: scripts/child-memory.ts (docs/decisions/0031).
  const worker =
    setup.worker === "off"
      ? undefined
      : superviseProcess({
          name: "worker",
          command: process.execPath,
          args: [...nodeArgs("worker"), "--conditions=react-server", path.resolve("scripts/run-worker.mjs")],
          env: memoryEnv(appEnv),
        });
  if (!worker) console.log("[syncline] SYNCLINE_WORKER=off: no worker process; events move after ingest and on GET /api/cron/drain");
  // However this process ends, the worker ends too: its IPC channel closes (worker-supervisor.ts).
  workerStop = worker?.stop;

  // Without a public URL this is a laptop install: listen on the loopback interface only, so
  // nobody else on the network reaches it. Behind a reverse proxy, set SYNCLINE_PUBLIC_URL.
  const hostname = setup.publicUrl ? "0.0.0.0" : "127.0.0.1";
  if (dev) {
    // Next's own dev server with hot reload, as a child; when it stops, everything stops.
    const web = spawn(process.execPath, [nextBin, "dev", "-p", String(setup.port), "-H", hostname], { stdio: "inherit", env: appEnv });
    children.push(web);
    web.on("exit", (code) => void stop(code ?? 1));
  } else {
    // Production: Next behind our own node:http server on the same port, for the ingest fast path
    // (scripts/web-server.mjs, docs/decisions/0018), in this process: it gets the settings first.
    Object.assign(process.env, appEnv);
    const { startWebServer } = (await import(pathToFileURL(path.resolve("scripts/web-server.mjs")).href)) as {
      startWebServer(options: { port: number; hostname: string }): Promise<{ close(): Promise<void> }>;
    };
    try {
      webClose = (await startWebServer({ port: setup.port, hostname })).close;
    } catch (error) {
      console.error(`[syncline] ${error instanceof Error ? error.message : String(error)}`);
      return void stop(1);
    }
    if (stopping) return void webClose();
  }
  const openUrl = setup.publicUrl ?? `http://localhost:${setup.port}`;
  if (!setup.publicUrl) {
    console.log(`[syncline] SYNCLINE_PUBLIC_URL not set: listening on 127.0.0.1 only (set it to serve other machines, e.g. behind a reverse proxy)`);
  }
  console.log(setup.needsSetup ? `[syncline] First start: create the owner account at ${new URL("/setup", openUrl)}` : `[syncline] Open ${openUrl}`);
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
