import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredential } from "@/server/credentials/credential-store";
import { errorToResponse } from "@/server/http-api/api-response";
import { startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture } from "@/server/runtime/testing/runtime-fixture";
import { createSource } from "@/server/sources/source-store";
import { waitUntil } from "@/server/testing/wait-until";
import { handleEventBridgeRequest } from "./receive-source-push";

// An EventBridge API destination calling POST /api/sources/{id}/eventbridge the way EventBridge
// does (its event envelope; the connection's API-key header or basic auth), through the real NATS
// JetStream, Postgres and an in-process worker to a local receiver.

const KEY = Buffer.alloc(32, 3);
process.env.SYNCLINE_SECRET_KEY = KEY.toString("base64");
const API_KEY = `eb-${randomUUID()}`;
const BASIC = `Basic ${Buffer.from("eventbridge:s3cret-pass").toString("base64")}`;

let fixture: RuntimeFixture;
let apiKeySource: string;
let basicSource: string;

beforeAll(async () => {
  fixture = await startRuntimeFixture({ partitions: 2 });
  const db = fixture.database.prisma;
  const headerCredential = await createCredential(db, { name: "EventBridge API key", type: "http", secret: { headerValue: API_KEY }, settings: { headerName: "x-api-key" } }, { key: KEY });
  const basicCredential = await createCredential(db, { name: "EventBridge basic", type: "http", secret: { headerValue: BASIC }, settings: { headerName: "Authorization" } }, { key: KEY });
  const mapping = { type: '"stock.changed"', orderingKey: "event.data.body.detail.sku" };
  apiKeySource = (await createSource(db, { name: "Bus (API key)", kind: "eventbridge", credentialId: headerCredential.id, mapping })).id;
  basicSource = (await createSource(db, { name: "Bus (basic)", kind: "eventbridge", credentialId: basicCredential.id, mapping })).id;
  await fixture.deployFlow(stockToReceiverFlow(fixture.receiver.url));
  await fixture.startWorkerInProcess();
}, 60_000);
afterAll(async () => {
  await fixture?.close();
});

function envelope(detail: unknown, id = randomUUID()) {
  return { version: "0", id, "detail-type": "Stock Changed", source: "com.acme.erp", account: "123456789012", time: new Date().toISOString(), region: "eu-west-1", resources: [], detail };
}

async function call(sourceId: string, body: unknown, headers: Record<string, string>) {
  const request = new Request(`http://localhost/api/sources/${sourceId}/eventbridge`, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8", "user-agent": "Amazon/EventBridge/ApiDestinations", ...headers },
    body: JSON.stringify(body),
  });
  const response = await handleEventBridgeRequest(request, sourceId, { db: fixture.database.prisma, nats: async () => fixture.nc, layout: fixture.layout }).catch(errorToResponse);
  return { status: response.status, body: (await response.json()) as { id?: string; status?: string; error?: { message: string } } };
}

describe("EventBridge API destination source", () => {
  it("runs the flow for an event sent with the API-key header, once per EventBridge event id", async () => {
    const sku = `SKU-EB-${randomUUID().slice(0, 6)}`;
    const event = envelope({ sku, quantity: 4 });
    const first = await call(apiKeySource, event, { "x-api-key": API_KEY });
    expect(first).toMatchObject({ status: 202, body: { status: "accepted" } });
    expect(first.body.id).toBe(`source:${apiKeySource}:${event.id}`);
    // EventBridge retries deliver the same event again: stored once.
    expect((await call(apiKeySource, event, { "x-api-key": API_KEY })).body.status).toBe("duplicate");
    await fixture.receiver.waitFor(() => fixture.receiver.effects.some((e) => e.body.sku === sku), 30_000, "the EventBridge event's run");
    expect(fixture.receiver.effects.filter((e) => e.body.sku === sku).map((e) => e.body.seq)).toEqual([4]);
  }, 60_000);

  it("accepts basic auth as EventBridge sends it", async () => {
    const sku = `SKU-EB-${randomUUID().slice(0, 6)}`;
    expect((await call(basicSource, envelope({ sku, quantity: 1 }), { authorization: BASIC })).status).toBe(202);
    await fixture.receiver.waitFor(() => fixture.receiver.effects.some((e) => e.body.sku === sku), 30_000, "the basic-auth event's run");
  }, 60_000);

  it("refuses a missing or wrong key with 401 and stores nothing", async () => {
    const sku = `SKU-EB-REFUSED-${randomUUID().slice(0, 4)}`;
    expect((await call(apiKeySource, envelope({ sku, quantity: 1 }), {})).status).toBe(401);
    expect((await call(apiKeySource, envelope({ sku, quantity: 1 }), { "x-api-key": "wrong" })).status).toBe(401);
    expect((await call(basicSource, envelope({ sku, quantity: 1 }), { "x-api-key": API_KEY })).status).toBe(401);
    expect((await call(randomUUID(), envelope({ sku, quantity: 1 }), { "x-api-key": API_KEY })).status).toBe(404);
  });

  it("answers 400 for a body that is not an EventBridge event, and dead-letters a detail that does not fit the type", async () => {
    const notEnvelope = await call(apiKeySource, { sku: "x" }, { "x-api-key": API_KEY });
    expect(notEnvelope.status).toBe(400);
    expect(notEnvelope.body.error?.message).toMatch(/not an EventBridge event/);
    const bad = envelope({ sku: "SKU-EB-BAD", quantity: "lots" });
    const refused = await call(apiKeySource, bad, { "x-api-key": API_KEY });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.message).toMatch(/dead-letter inbox/);
    await waitUntil(async () => (await fixture.database.prisma.deadLetter.count({ where: { flowId: `source:${apiKeySource}`, orderingKey: "SKU-EB-BAD" } })) === 1, 10_000, "the dead letter");
    const letter = await fixture.database.prisma.deadLetter.findFirstOrThrow({ where: { flowId: `source:${apiKeySource}` } });
    expect(JSON.parse((letter.event as { raw: string }).raw)).toEqual(bad);
  });
});
