// Playwright's web server: a fresh Postgres database for this run, the real NATS, the production
// build of the app. The database is dropped when Playwright stops the server.
import { spawn } from "node:child_process";
import pg from "pg";
import { E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD, E2E_API_KEY } from "./constants";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { memoryEnv, startCommandArgs } from "../scripts/child-memory";

const port = process.env.E2E_PORT ?? "3100";
const adminUrl = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const name = `syncline_e2e_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

await admin(`CREATE DATABASE ${name}`);
const url = new URL(adminUrl);
url.pathname = `/${name}`;

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const prefix = `e2e_${name}`;

/** The app's worker creates a stream on the shared NATS server; leave nothing behind. */
async function deleteStreams() {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const stream of jsm.streams.list()) {
      if (stream.config.name.startsWith(prefix)) await jsm.streams.delete(stream.config.name);
    }
  } finally {
    await nc.close();
  }
}

// Started as `npm start` starts it: the web app in the launcher's process, beside one worker.
const app = spawn(process.execPath, startCommandArgs(), {
  stdio: "inherit",
  env: {
    ...memoryEnv(process.env),
    DATABASE_URL: url.toString(),
    NATS_URL: natsUrl,
    PORT: port,
    BOOTSTRAP_API_KEY: E2E_API_KEY,
    // Every browser test signs in as this owner (e2e/fixtures.ts).
    SYNCLINE_ADMIN_EMAIL: E2E_ADMIN_EMAIL,
    SYNCLINE_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD,
    SYNCLINE_PREFIX: prefix,
    // Browser tests point channels and HTTP actions at local fake servers.
    SYNCLINE_HTTP_ALLOWLIST: "127.0.0.1",
    // ...and their channels and credentials at those fakes instead of the providers' own hosts.
    SYNCLINE_ALLOW_CUSTOM_PROVIDER_HOSTS: "true",
    // /e2e-fault throws while rendering, so the error page can be checked (a 404 everywhere else).
    SYNCLINE_E2E_FAULT_PAGE: "on",
  },
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  if (app.exitCode === null) {
    app.kill("SIGTERM");
    await new Promise((resolve) => app.once("exit", resolve));
  }
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((error) => console.error("could not drop", name, error));
  await deleteStreams().catch((error) => console.error("could not delete the e2e streams", error));
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
app.on("exit", () => void stop());
