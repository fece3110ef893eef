import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, dbPool } from "@/server/db/client";
import { createFlow } from "@/server/flows/flow-store";
import { closeSharedNats } from "@/server/nats/connection";
import { cronDrain, drainTestRunsAfterTestEvent } from "./serverless-drain";
import { startTestRun } from "./test-runs";
import { startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture } from "./testing/runtime-fixture";

// Test runs in serverless mode (SYNCLINE_WORKER=off, docs/decisions/0017 and 0014): no worker
// runs, so a test event waits in the tests stream until the web app drains it — after the
// flows.testEvent answer, or on the cron drain. The app's own entry points are called here with
// the process environment pointing at the fixture's nats-server and Postgres database, as the
// web app's would.

let fixture: RuntimeFixture;
let flowId: string;
const saved = { ...process.env };

beforeAll(async () => {
  fixture = await startRuntimeFixture({ partitions: 2 });
  Object.assign(process.env, {
    SYNCLINE_WORKER: "off",
    DATABASE_URL: fixture.database.url,
    NATS_URL: fixture.nats.url,
    SYNCLINE_PREFIX: fixture.layout.prefix,
    SYNCLINE_PARTITIONS: String(fixture.layout.partitions),
    SYNCLINE_HTTP_ALLOWLIST: "127.0.0.1",
  });
  const document = stockToReceiverFlow(fixture.receiver.url, { name: "Serverless draft", attempts: 1 });
  flowId = (await createFlow(fixture.database.prisma, document)).id;
}, 120_000);

afterAll(async () => {
  await closeSharedNats();
  await db().$disconnect();
  await dbPool().end().catch(() => undefined);
  await fixture?.close();
  for (const name of ["SYNCLINE_WORKER", "DATABASE_URL", "NATS_URL", "SYNCLINE_PREFIX", "SYNCLINE_PARTITIONS", "SYNCLINE_HTTP_ALLOWLIST"]) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
}, 60_000);

async function queueLiveTest(sku: string, quantity: number) {
  const document = stockToReceiverFlow(fixture.receiver.url, { name: "Serverless draft", attempts: 1 });
  const { runId } = await startTestRun(fixture.database.prisma, { flowId, document, mode: "live", event: { subject: sku, data: { sku, quantity } } }, { nats: async () => fixture.nc, layout: fixture.layout });
  return runId;
}

const runOf = (id: string) => fixture.database.prisma.run.findUniqueOrThrow({ where: { id } });

describe("test runs in serverless mode", () => {
  it("a test event queued with no worker running completes in the drain after flows.testEvent", async () => {
    const runId = await queueLiveTest("SKU-SL-1", 4);
    expect((await runOf(runId)).status).toBe("queued");
    expect(fixture.receiver.requests).toBe(0);

    expect(await drainTestRunsAfterTestEvent()).toBe(1);
    expect(await runOf(runId)).toMatchObject({ status: "succeeded", test: true, testMode: "live" });
    expect(fixture.receiver.effects.map((e) => e.body)).toEqual([{ sku: "SKU-SL-1", seq: 4 }]);
    // Nothing left: a second drain takes nothing and calls nothing.
    expect(await drainTestRunsAfterTestEvent()).toBe(0);
    expect(fixture.receiver.effects).toHaveLength(1);
  }, 60_000);

  it("the cron drain runs test events left waiting and says how many", async () => {
    const first = await queueLiveTest("SKU-SL-2", 1);
    const second = await queueLiveTest("SKU-SL-3", 2);
    const report = await cronDrain();
    expect(report.testRunsRun).toBe(2);
    expect((await runOf(first)).status).toBe("succeeded");
    expect((await runOf(second)).status).toBe("succeeded");
    expect(fixture.receiver.effects.slice(-2).map((e) => e.body).sort((a, b) => a.seq - b.seq)).toEqual([{ sku: "SKU-SL-2", seq: 1 }, { sku: "SKU-SL-3", seq: 2 }]);
  }, 120_000);
});
