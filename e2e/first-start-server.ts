// A second, brand-new Syncline for the first-start test: its own empty database, no
// SYNCLINE_ADMIN_* (so nobody exists yet), started as `npm start` starts it, like a first-time
// user would. Its output is kept, to check what the launcher tells them.
import { spawn, type ChildProcess } from "node:child_process";
import pg from "pg";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { memoryEnv, startCommandArgs } from "../scripts/child-memory";

const adminUrl = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface FirstStartServer {
  url: string;
  /** The process npm start runs: the launcher, which serves the web app. */
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export async function startFirstStartServer(port: number): Promise<FirstStartServer> {
  const name = `syncline_e2e_first_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const prefix = `e2e_${name}`;
  let output = "";
  const env: NodeJS.ProcessEnv = { ...memoryEnv(process.env), DATABASE_URL: url.toString(), NATS_URL: natsUrl, PORT: String(port), SYNCLINE_PREFIX: prefix };
  delete env.SYNCLINE_ADMIN_EMAIL;
  delete env.SYNCLINE_ADMIN_PASSWORD;
  delete env.SYNCLINE_PUBLIC_URL;
  const app: ChildProcess = spawn(process.execPath, startCommandArgs(), { env, stdio: ["ignore", "pipe", "pipe"] });
  app.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  app.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));

  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (app.exitCode === null && app.signalCode === null) {
      app.kill("SIGTERM");
      await new Promise((resolve) => app.once("exit", resolve));
    }
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    const nc = await connect({ servers: natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      for await (const stream of jsm.streams.list()) if (stream.config.name.startsWith(prefix)) await jsm.streams.delete(stream.config.name);
    } finally {
      await nc.close();
    }
  };
  // Up when /api/health answers (polled; the test's timeout bounds the wait).
  for (;;) {
    if (app.exitCode !== null) throw new Error(`the first-start server exited:\n${output}`);
    const up = await fetch(`${base}/api/health`).then((r) => r.status < 500, () => false);
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url: base, process: app, output: () => output, stop };
}
