import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlow } from "@/server/flows/flow-store";
import { closeSharedNats } from "@/server/nats/connection";
import { startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture } from "@/server/runtime/testing/runtime-fixture";
import { callerFor, type TestCaller } from "@/server/testing/trpc-caller";
import { waitUntil } from "@/server/testing/wait-until";

// flows.testEvent as the editor calls it (a signed-in editor, the app's own NATS connection and
// stream layout from the environment, a worker running): a live test — one that calls outside
// systems — writes an audit entry naming the user, the flow and that it was live; a dry run does not.

let fixture: RuntimeFixture;
let flowId: string;
let editor: TestCaller;
let owner: TestCaller;
const saved = { ...process.env };
const document = () => stockToReceiverFlow(fixture.receiver.url, { name: "Stock to the ERP", attempts: 1 });

beforeAll(async () => {
  fixture = await startRuntimeFixture({ partitions: 2 });
  Object.assign(process.env, { NATS_URL: fixture.nats.url, SYNCLINE_PREFIX: fixture.layout.prefix, SYNCLINE_PARTITIONS: String(fixture.layout.partitions) });
  flowId = (await createFlow(fixture.database.prisma, document())).id;
  await fixture.startWorkerInProcess();
  editor = callerFor(fixture.database.prisma, { role: "editor" });
  owner = callerFor(fixture.database.prisma, { role: "owner" });
}, 120_000);

afterAll(async () => {
  await closeSharedNats();
  await fixture?.close();
  for (const name of ["NATS_URL", "SYNCLINE_PREFIX", "SYNCLINE_PARTITIONS"]) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
}, 60_000);

describe("flows.testEvent audit", () => {
  it("a live test run writes an audit entry naming the user, the flow and that it was live; a dry run writes none", async () => {
    const dry = await editor.flows.testEvent({ id: flowId, document: document(), event: { subject: "SKU-AUD-1", data: { sku: "SKU-AUD-1", quantity: 1 } } });
    const live = await editor.flows.testEvent({ id: flowId, document: document(), mode: "live", event: { subject: "SKU-AUD-2", data: { sku: "SKU-AUD-2", quantity: 2 } } });
    // The live run really called the outside system.
    await fixture.receiver.waitFor(() => fixture.receiver.effects.some((e) => e.body.sku === "SKU-AUD-2"), 30_000, "the live test's call");
    await waitUntil(async () => (await fixture.database.prisma.run.findUniqueOrThrow({ where: { id: dry.runId } })).status === "succeeded", 30_000, "the dry run to finish");

    const { entries } = await owner.audit.list({ action: "flow.testedLive" });
    expect(entries).toHaveLength(1);
    const editorUser = await fixture.database.prisma.user.findFirstOrThrow({ where: { role: "editor" } });
    expect(entries[0]).toMatchObject({
      action: "flow.testedLive",
      actorId: editorUser.id,
      actorLabel: editorUser.email,
      targetType: "flow",
      targetId: flowId,
      detail: { flowName: "Stock to the ERP", runId: live.runId, orderingKey: "SKU-AUD-2", mode: "live" },
    });
  }, 90_000);
});
