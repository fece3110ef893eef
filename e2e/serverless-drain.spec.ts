// Serverless mode on the production build: `npm start` with SYNCLINE_WORKER=off runs no worker, so
// events move only through the web app itself — the drain after each POST /api/events and a test
// driver calling GET /api/cron/drain every two seconds, the way Vercel Cron would (more often).
// Everything real: its own nats-server, a fresh Postgres database, the app killed with SIGKILL and
// started again, and a worker process added to show both modes share the partitions.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startNatsServer, type NatsServerProcess } from "../server/nats/nats-server-process";
import { createTestDatabase, type TestDatabase } from "../server/db/test-database";
import { RecordingReceiver } from "../server/runtime/testing/recording-receiver";
import { expect, test } from "./fixtures";
import { startCommandArgs } from "../scripts/child-memory";

const root = process.cwd();
const port = Number(process.env.E2E_ADHOC_PORT ?? 3209);
const base = `http://127.0.0.1:${port}`;
const prefix = `drain${randomBytes(4).toString("hex")}`;
const apiKey = `syn_drain_${randomBytes(12).toString("hex")}`;
const cronSecret = randomBytes(24).toString("hex");
const secretKey = randomBytes(32).toString("base64");
const auth = { Authorization: `Bearer ${apiKey}` };

let nats: NatsServerProcess;
let database: TestDatabase;
let receiver: RecordingReceiver;
let storeDir: string;
let app: Launched | undefined;
let worker: Launched | undefined;
let driver: CronDriver | undefined;
let flowId = "";
let flowDocument: unknown;

interface Launched {
  child: ChildProcess;
  output: () => string;
  /** Kills the whole process group (the launcher and the `next start` it runs). */
  kill: (signal: NodeJS.Signals) => Promise<void>;
}

function env(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    DATABASE_URL: database.url,
    NATS_URL: nats.url,
    PORT: String(port),
    SYNCLINE_PREFIX: prefix,
    SYNCLINE_PARTITIONS: "8",
    BOOTSTRAP_API_KEY: apiKey,
    SYNCLINE_SECRET_KEY: secretKey,
    SYNCLINE_HTTP_ALLOWLIST: "127.0.0.1",
    SYNCLINE_WORKER: "off",
    CRON_SECRET: cronSecret,
    // The owner exists from the start (as in CI and automation), so the launcher prints the app's URL.
    SYNCLINE_ADMIN_EMAIL: "owner@drain.test",
    SYNCLINE_ADMIN_PASSWORD: "drain-test-password",
    // Short enough that several drains interleave with the driver; long enough to finish a partition.
    SYNCLINE_CRON_DRAIN_BUDGET_MS: "20000",
  };
}

function launch(args: string[], ready: (output: string) => boolean): Promise<Launched> {
  const child = spawn(process.execPath, args, { cwd: root, env: env(), stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const launched: Launched = {
    child,
    output: () => output,
    kill: async (signal) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid!, signal);
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const check = () => {
      if (ready(output)) {
        child.stdout!.off("data", check);
        resolve(launched);
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => reject(new Error(`exited (${code}) before it was ready:\n${output}`)));
  });
}

async function startApp() {
  const launched = await launch(startCommandArgs(), (o) => o.includes("Open http://"));
  await expect
    .poll(async () => (await fetch(`${base}/api/health`).catch(() => undefined))?.status, { timeout: 120_000 })
    .toBe(200)
    .catch((error: Error) => {
      throw new Error(`${error.message}\n--- app output ---\n${launched.output()}`);
    });
  return launched;
}

/** Calls the cron route every two seconds, like a scheduler; a dead server is just a failed tick. */
class CronDriver {
  reports: { eventsProcessed: number; heldEventsRun: number; partitionsDrained: number[] }[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;
  constructor() {
    this.loop = (async () => {
      while (!this.stopped) {
        const response = await fetch(`${base}/api/cron/drain`, { headers: { Authorization: `Bearer ${cronSecret}` } }).catch(() => undefined);
        if (response?.ok) this.reports.push(await response.json());
        await new Promise((resolve) => setTimeout(resolve, 2_000)); // the schedule, not a synchronisation
      }
    })();
  }
  async stop() {
    this.stopped = true;
    await this.loop;
  }
}

async function postEvents(events: unknown[]) {
  for (let i = 0; i < events.length; i += 100) {
    const response = await fetch(`${base}/api/events`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/cloudevents-batch+json" },
      body: JSON.stringify(events.slice(i, i + 100)),
    });
    expect(response.status, await response.clone().text()).toBe(202);
  }
}

function stockEvents(keys: string[], perKey: number) {
  const run = randomBytes(4).toString("hex");
  const events = [];
  for (let seq = 1; seq <= perKey; seq++) {
    for (const sku of keys) {
      events.push({ specversion: "1.0", id: `${run}-${sku}-${seq}`, source: "test/erp", type: "stock.changed", subject: sku, data: { sku, quantity: seq } });
    }
  }
  return events;
}

const keys = (group: string, n: number) => Array.from({ length: n }, (_, i) => `${group}-${String(i).padStart(3, "0")}`);

function expectInOrder(keysToCheck: string[], perKey: number) {
  const byKey = receiver.effectsByKey();
  const expected = Array.from({ length: perKey }, (_, i) => i + 1);
  const broken = keysToCheck.filter((key) => (byKey.get(key) ?? []).join(",") !== expected.join(","));
  expect(broken.map((key) => `${key}: [${(byKey.get(key) ?? []).join(",")}]`)).toEqual([]);
}

function effectsOf(keysToCount: string[]) {
  const wanted = new Set(keysToCount);
  return receiver.effects.filter((effect) => wanted.has(String(effect.body.sku))).length;
}

test.describe.configure({ mode: "serial" });

test.describe("serverless mode (SYNCLINE_WORKER=off) on the production build", () => {
  test.beforeAll(async () => {
    test.setTimeout(240_000);
    storeDir = mkdtempSync(path.join(os.tmpdir(), "syncline-drain-"));
    nats = await startNatsServer({ storeDir });
    database = await createTestDatabase({ migrate: false });
    receiver = new RecordingReceiver();
    await receiver.start();
    app = await startApp();

    // The flow, made the way a user would: import, publish, enable.
    const flow = {
      schemaVersion: 1,
      name: "Stock to receiver",
      nodes: [
        { id: "trigger", kind: "trigger:stock.changed", version: 1, config: {}, position: { x: 0, y: 0 } },
        {
          id: "deliver", kind: "action:http-request", version: 1, position: { x: 300, y: 0 },
          config: {
            method: "POST", url: `${receiver.url}/stock`, body: '{"sku": event.subject, "seq": event.data.quantity}', timeoutMs: 2000,
            retry: { attempts: 8, initialBackoffMs: 20, maxBackoffMs: 200, jitter: 0.2 },
          },
        },
      ],
      edges: [{ id: "e1", source: "trigger", target: "deliver", sourceHandle: "out" }],
      settings: { orderingPolicy: "hold" },
    };
    const imported = await fetch(`${base}/api/flows/import`, { method: "POST", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify(flow) });
    expect(imported.status, await imported.clone().text()).toBe(201);
    const { id } = (await imported.json()) as { id: string };
    flowId = id;
    flowDocument = flow;
    const published = await fetch(`${base}/api/flows/${id}/publish`, {
      method: "POST", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify({ enable: true }),
    });
    expect(published.status, await published.clone().text()).toBe(200);
  });

  test.afterAll(async () => {
    await driver?.stop();
    await worker?.kill("SIGKILL");
    await app?.kill("SIGTERM");
    await receiver?.stop();
    await database?.drop();
    await nats?.stop();
    rmSync(storeDir, { recursive: true, force: true });
  });

  test("npm start runs no worker, and the cron route wants its secret", async () => {
    expect(app!.output()).toContain("SYNCLINE_WORKER=off: no worker process");
    const health = (await (await fetch(`${base}/api/health`, { headers: auth })).json()) as { workers: { count: number } };
    expect(health.workers.count).toBe(0);

    expect((await fetch(`${base}/api/cron/drain`)).status).toBe(401);
    expect((await fetch(`${base}/api/cron/drain`, { headers: { Authorization: `Bearer ${cronSecret}x` } })).status).toBe(401);
    const ok = await fetch(`${base}/api/cron/drain`, { headers: { Authorization: `Bearer ${cronSecret}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ partitionsDrained: [], partitionsBusy: [], eventsProcessed: 0, heldEventsRun: 0, budgetExhausted: false });
  });

  test("a live test run from the editor completes without a worker: drained after flows.testEvent answers (no cron)", async () => {
    expect(driver).toBeUndefined(); // no cron driver yet: only the after() drain can run it
    const signIn = await fetch(`${base}/api/auth/sign-in/email`, {
      method: "POST", headers: { "Content-Type": "application/json", Origin: base }, body: JSON.stringify({ email: "owner@drain.test", password: "drain-test-password" }),
    });
    expect(signIn.status, await signIn.clone().text()).toBe(200);
    const cookie = signIn.headers.getSetCookie().map((line) => line.split(";")[0]).join("; ");
    const started = await fetch(`${base}/api/trpc/flows.testEvent`, {
      method: "POST", headers: { "Content-Type": "application/json", Cookie: cookie, Origin: base },
      body: JSON.stringify({ json: { id: flowId, document: flowDocument, mode: "live", event: { subject: "SKU-TEST-SL", data: { sku: "SKU-TEST-SL", quantity: 9 } } } }),
    });
    expect(started.status, await started.clone().text()).toBe(200);
    const { runId } = ((await started.json()) as { result: { data: { json: { runId: string } } } }).result.data.json;
    await expect.poll(async () => (await database.prisma.run.findUnique({ where: { id: runId } }))?.status, { timeout: 60_000 }).toBe("succeeded");
    expect(receiver.effects.filter((e) => e.body.sku === "SKU-TEST-SL").map((e) => e.body)).toEqual([{ sku: "SKU-TEST-SL", seq: 9 }]);
    // The live test is in the audit log, naming the owner and the flow.
    const audit = await database.prisma.auditEntry.findFirst({ where: { action: "flow.testedLive", targetId: flowId } });
    expect(audit).toMatchObject({ actorLabel: "owner@drain.test", detail: expect.objectContaining({ runId, mode: "live" }) });
  });

  test("100 keys × 20 events through a receiver failing 20 % arrive complete and in order, across a SIGKILL mid-drain", async () => {
    test.setTimeout(420_000);
    receiver.failureRate = 0.2;
    driver = new CronDriver();
    const skus = keys("SKU", 100);
    const events = stockEvents(skus, 20);
    await postEvents(events.slice(0, 1000));
    // Killed while drains are at work: leases held, batches in flight, retries waiting.
    await expect.poll(() => effectsOf(skus), { timeout: 120_000 }).toBeGreaterThan(300);
    await app!.kill("SIGKILL");
    app = await startApp();
    await postEvents(events.slice(1000));

    await expect.poll(() => effectsOf(skus), { timeout: 300_000, intervals: [1_000] }).toBe(events.length);
    expectInOrder(skus, 20);
    expect(receiver.requests).toBeGreaterThan(receiver.effects.length); // failures really happened
    expect(await database.prisma.deadLetter.count()).toBe(0);
    await expect.poll(() => database.prisma.heldEvent.count(), { timeout: 30_000 }).toBe(0);
    // The driver's drains did part of the work (retries wait for them).
    expect(driver.reports.some((r) => r.eventsProcessed + r.heldEventsRun > 0)).toBe(true);
    receiver.failureRate = 0;
  });

  test("a poison event dead-letters and holds its key; redrive releases it in order", async () => {
    test.setTimeout(120_000);
    receiver.poison = (body) => body.sku === "POISON-1" && body.seq === 2;
    const skus = ["POISON-1", ...keys("CALM", 5)];
    await postEvents(stockEvents(skus, 4));
    await expect.poll(() => database.prisma.deadLetter.count({ where: { orderingKey: "POISON-1" } }), { timeout: 60_000 }).toBe(1);
    await expect.poll(() => effectsOf(keys("CALM", 5)), { timeout: 60_000 }).toBe(20);
    expectInOrder(keys("CALM", 5), 4);
    // Later events of the key wait behind the letter, cron tick after cron tick.
    const ticks = driver!.reports.length;
    await expect.poll(() => driver!.reports.length, { timeout: 30_000 }).toBeGreaterThan(ticks + 1);
    expect(receiver.effectsByKey().get("POISON-1")).toEqual([1]);
    expect(await database.prisma.heldEvent.count({ where: { orderingKey: "POISON-1" } })).toBe(2);

    const letter = await database.prisma.deadLetter.findFirstOrThrow({ where: { orderingKey: "POISON-1" } });
    const edited = { ...(letter.event as object), data: { sku: "POISON-1", quantity: 20 } };
    const redrive = await fetch(`${base}/api/dead-letters/${letter.id}/redrive`, {
      method: "POST", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify({ event: edited }),
    });
    expect(redrive.status, await redrive.clone().text()).toBe(202);
    await expect.poll(() => receiver.effectsByKey().get("POISON-1")?.join(","), { timeout: 60_000 }).toBe("1,20,3,4");
    receiver.poison = () => false;
  });

  test("a worker process added beside the drains shares the partitions safely, and drains take over when it dies", async () => {
    test.setTimeout(300_000);
    receiver.failureRate = 0.2;
    const skus = keys("MIX", 40);
    const events = stockEvents(skus, 15);
    await postEvents(events.slice(0, 200));
    // The worker starts while drains hold some leases: it takes the free partitions at once and
    // the others as the drains hand them back, and from then on drains leave them alone.
    worker = await launch(["--conditions=react-server", "scripts/run-worker.mjs"], (o) => o.includes(" started; partitions"));
    await postEvents(events.slice(200, 400));
    const owners = async () => (await database.prisma.partition.findMany({ select: { owner: true } })).map((p) => p.owner ?? "none");
    await expect.poll(async () => (await owners()).filter((o) => o.startsWith("drain-") || o === "none").length, { timeout: 60_000 }).toBe(0);
    expect(new Set(await owners()).size).toBe(1);

    // Killed without handing anything back: the drains wait for its leases to run out, then go on
    // from its committed cursors, including events that arrived after it died.
    await worker.kill("SIGKILL");
    worker = undefined;
    await postEvents(events.slice(400));
    await expect.poll(() => effectsOf(skus), { timeout: 180_000, intervals: [1_000] }).toBe(events.length);
    expectInOrder(skus, 15);
    expect(await database.prisma.deadLetter.count({ where: { orderingKey: { startsWith: "MIX-" } } })).toBe(0);
    expect((await owners()).some((o) => o.startsWith("drain-") || o === "none")).toBe(true);
    receiver.failureRate = 0;
  });
});
