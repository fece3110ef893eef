import { randomUUID } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredential } from "@/server/credentials/credential-store";
import { createFlow, publishFlow } from "@/server/flows/flow-store";
import type { FlowDocument } from "@/server/flows/flow-document";
import { FlowHasProblemsError } from "@/server/flows/flow-errors";
import { errorToResponse } from "@/server/http-api/api-response";
import { eventsStreamName } from "@/server/runtime/stream-layout";
import { assertInOrderComplete, startRuntimeFixture, type RuntimeFixture } from "@/server/runtime/testing/runtime-fixture";
import { handleWebhookRequest } from "./receive-webhook";
import { signWebhookCall } from "./webhook-auth";
import { waitUntil } from "@/server/testing/wait-until";

// Webhook triggers end to end: a signed call to the webhook handler, the real NATS JetStream and
// Postgres, an in-process worker running the flow, and a local receiver as the outside system.

const KEY = Buffer.alloc(32, 7);
process.env.SYNCLINE_SECRET_KEY = KEY.toString("base64");
const SECRET = "whsec-test-0123456789";

let fixture: RuntimeFixture;
let secretId: string;
let flowId: string;

function hookFlow(path: string, config: Record<string, unknown> = {}): FlowDocument {
  return {
    schemaVersion: 1,
    name: `Webhook ${path}`,
    nodes: [
      { id: "hook", kind: "trigger:webhook", version: 1, position: { x: 0, y: 0 }, config: { path, secretCredentialId: secretId, orderingKey: "event.data.body.sku", ...config } },
      {
        id: "deliver", kind: "action:http-request", version: 1, position: { x: 300, y: 0 },
        config: {
          method: "POST", url: `${fixture.receiver.url}/hook`, body: '{"sku": event.data.body.sku, "seq": event.data.body.seq}', timeoutMs: 2000,
          retry: { attempts: 5, initialBackoffMs: 20, maxBackoffMs: 200, jitter: 0.2 },
        },
      },
    ],
    edges: [{ id: "e1", source: "hook", target: "deliver" }],
    settings: { orderingPolicy: "hold" },
  };
}

beforeAll(async () => {
  fixture = await startRuntimeFixture({ partitions: 4 });
  secretId = (await createCredential(fixture.database.prisma, { name: "ERP hook secret", type: "webhook", secret: { signingSecret: SECRET } }, { key: KEY })).id;
  flowId = await fixture.deployFlow(hookFlow("erp-stock"));
  // Deployed before the worker starts: a worker only runs flows it has loaded (it reloads about once a second).
  await fixture.deployFlow(hookFlow("typed-hook", {
    authentication: "bearer",
    bodySchema: JSON.stringify({ type: "object", properties: { sku: { type: "string" }, seq: { type: "integer", minimum: 1 } }, required: ["sku", "seq"] }),
  }));
  await fixture.startWorkerInProcess();
}, 60_000);
afterAll(async () => {
  await fixture?.close();
});

async function call(path: string, body: unknown, options: { headers?: Record<string, string>; timestamp?: number; secret?: string | null } = {}) {
  const raw = JSON.stringify(body);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature: Record<string, string> = options.secret === null ? {} : { "x-syncline-timestamp": String(timestamp), "x-syncline-signature": signWebhookCall(options.secret ?? SECRET, timestamp, raw) };
  const request = new Request(`http://localhost/api/hooks/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...signature, ...options.headers },
    body: new TextEncoder().encode(raw),
  });
  let response: Response;
  try {
    response = await handleWebhookRequest(request, path, { db: fixture.database.prisma, nats: async () => fixture.nc, layout: fixture.layout, maxBytes: 64 * 1024 });
  } catch (error) {
    response = errorToResponse(error);
  }
  return { status: response.status, body: (await response.json()) as { id?: string; status?: string; error?: { message: string; issues?: { path: string; message: string }[] } } };
}

async function storedMessages(): Promise<number> {
  const jsm = await jetstreamManager(fixture.nc);
  return (await jsm.streams.info(eventsStreamName(fixture.layout))).state.messages;
}

const effectsFor = (sku: string) => fixture.receiver.effects.filter((e) => e.body.sku === sku);

describe("webhook trigger", () => {
  it("runs the flow once for a call with a good signature", async () => {
    const sku = `SKU-${randomUUID().slice(0, 6)}`;
    const answer = await call("erp-stock", { sku, seq: 1 });
    expect(answer.status).toBe(202);
    expect(answer.body.status).toBe("accepted");
    await fixture.receiver.waitFor(() => effectsFor(sku).length === 1, 30_000, "the webhook run");
    await waitUntil(async () => (await fixture.database.prisma.run.count({ where: { flowId, orderingKey: sku, status: "succeeded" } })) === 1, 20_000, "the run record");
    const run = await fixture.database.prisma.run.findFirstOrThrow({ where: { flowId, orderingKey: sku } });
    expect(run.eventId).toBe(answer.body.id);
  }, 60_000);

  it("refuses unsigned, wrongly signed, tampered and replayed calls with 401 and stores nothing", async () => {
    const before = await storedMessages();
    const sku = "SKU-REFUSED";
    const unsigned = await call("erp-stock", { sku, seq: 1 }, { secret: null });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.error?.message).toMatch(/Sign the call/);
    expect((await call("erp-stock", { sku, seq: 1 }, { secret: "not-the-secret" })).body.error?.message).toMatch(/signature does not match/);
    const replayed = await call("erp-stock", { sku, seq: 1 }, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(replayed.status).toBe(401);
    expect(replayed.body.error?.message).toMatch(/replayed or delayed/);
    // A good signature over another body: the body was changed on the way.
    const timestamp = Math.floor(Date.now() / 1000);
    const tampered = await handleWebhookRequest(
      new Request("http://localhost/api/hooks/erp-stock", {
        method: "POST",
        headers: { "content-type": "application/json", "x-syncline-timestamp": String(timestamp), "x-syncline-signature": signWebhookCall(SECRET, timestamp, '{"sku":"A"}') },
        body: '{"sku":"B"}',
      }),
      "erp-stock",
      { db: fixture.database.prisma, nats: async () => fixture.nc, layout: fixture.layout },
    ).catch(errorToResponse);
    expect(tampered.status).toBe(401);
    expect(await storedMessages()).toBe(before);
  });

  it("runs a call repeated with the same Idempotency-Key once", async () => {
    const sku = `SKU-${randomUUID().slice(0, 6)}`;
    const idempotencyKey = randomUUID();
    const first = await call("erp-stock", { sku, seq: 1 }, { headers: { "idempotency-key": idempotencyKey } });
    // A retry of the same call may differ in its body (a new timestamp field, say): the key decides.
    const second = await call("erp-stock", { sku, seq: 2 }, { headers: { "idempotency-key": idempotencyKey } });
    expect([first.body.status, second.body.status]).toEqual(["accepted", "duplicate"]);
    expect(second.body.id).toBe(first.body.id);
    // And without a key, the same body twice is the same call.
    const third = await call("erp-stock", { sku, seq: 3 });
    const fourth = await call("erp-stock", { sku, seq: 3 });
    expect([third.body.status, fourth.body.status]).toEqual(["accepted", "duplicate"]);
    await waitUntil(async () => (await fixture.database.prisma.run.count({ where: { flowId, orderingKey: sku } })) >= 2, 30_000, "both runs");
    await fixture.receiver.waitFor(() => effectsFor(sku).length >= 2, 30_000, "both effects");
    expect(effectsFor(sku).map((e) => e.body.seq)).toEqual([1, 3]);
    expect(await fixture.database.prisma.run.count({ where: { flowId, orderingKey: sku } })).toBe(2);
  }, 60_000);

  it("keeps per-key order for webhook calls (ordering key from a JSONata expression)", async () => {
    const skus = ["ORD-A", "ORD-B", "ORD-C"].map((s) => `${s}-${randomUUID().slice(0, 4)}`);
    for (let seq = 1; seq <= 10; seq++) {
      for (const sku of skus) expect((await call("erp-stock", { sku, seq })).status).toBe(202);
    }
    await fixture.receiver.waitFor(() => skus.every((sku) => effectsFor(sku).length >= 10), 60_000, "every ordered call");
    assertInOrderComplete(fixture.receiver.effectsByKey(), skus, 10);
    await waitUntil(async () => (await fixture.database.prisma.run.count({ where: { flowId, orderingKey: skus[0], status: "succeeded" } })) === 10, 20_000, "ten run records of one key");
  }, 90_000);

  it("validates the body against the trigger's JSON Schema with field-level 400s, and supports bearer tokens", async () => {
    const before = await storedMessages();
    const noToken = await call("typed-hook", { sku: "T-1", seq: 1 }, { secret: null });
    expect(noToken.status).toBe(401);
    expect((await call("typed-hook", { sku: "T-1", seq: 1 }, { secret: null, headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    const invalid = await call("typed-hook", { sku: 5, seq: 0 }, { secret: null, headers: { authorization: `Bearer ${SECRET}` } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error?.issues?.map((i) => i.path).sort()).toEqual(["body.seq", "body.sku"]);
    expect(await storedMessages()).toBe(before);
    const sku = `T-${randomUUID().slice(0, 6)}`;
    const ok = await call("typed-hook", { sku, seq: 1 }, { secret: null, headers: { authorization: `Bearer ${SECRET}` } });
    expect(ok.status).toBe(202);
    await fixture.receiver.waitFor(() => effectsFor(sku).length === 1, 30_000, "the bearer call's run");
    await waitUntil(async () => (await fixture.database.prisma.run.count({ where: { orderingKey: sku, status: "succeeded" } })) === 1, 20_000, "the run record");
    const run = await fixture.database.prisma.run.findFirstOrThrow({ where: { orderingKey: sku } });
    // The token authenticates the call; it is not kept with the event.
    const steps = await fixture.database.prisma.$queryRaw<{ steps: unknown }[]>`SELECT to_jsonb(r) AS steps FROM "Run" r WHERE id = ${run.id}`;
    expect(JSON.stringify(steps)).toContain(sku);
    expect(JSON.stringify(steps)).not.toContain(SECRET);
  }, 60_000);

  it("answers 404 for a path no flow has, and refuses to publish a second flow on a taken path or one without a secret", async () => {
    expect((await call("nobody-here", { sku: "X" })).status).toBe(404);
    const { id } = await createFlow(fixture.database.prisma, hookFlow("erp-stock"));
    const taken = await publishFlow(fixture.database.prisma, id).catch((error: unknown) => error);
    expect(taken).toBeInstanceOf(FlowHasProblemsError);
    expect((taken as FlowHasProblemsError).problems[0]!.message).toMatch(/already uses the webhook path "erp-stock"/);

    const open = await createFlow(fixture.database.prisma, hookFlow("open-hook", { secretCredentialId: "" }));
    const noSecret = await publishFlow(fixture.database.prisma, open.id).catch((error: unknown) => error);
    expect(noSecret).toBeInstanceOf(FlowHasProblemsError);
    expect((noSecret as FlowHasProblemsError).problems.map((p) => p.field)).toContain("secretCredentialId");
  });
});
