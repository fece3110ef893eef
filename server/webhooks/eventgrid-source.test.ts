import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredential } from "@/server/credentials/credential-store";
import { errorToResponse } from "@/server/http-api/api-response";
import { startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture } from "@/server/runtime/testing/runtime-fixture";
import { createSource } from "@/server/sources/source-store";
import { FakeHttpServer, type FakeReply, type RawRequest } from "@/server/connectors/testing/fake-http-server";
import { handleEventGridOptions, handleEventGridRequest } from "./receive-source-push";

/** Azure's side of the manual handshake: the validationUrl, which validates the subscription on a GET. */
class FakeAzureValidation extends FakeHttpServer<{ method: string; target: string }> {
  readonly validated = new Set<string>();
  protected stringContentType = "text/plain";
  protected record(raw: RawRequest) {
    return { method: raw.method, target: raw.target };
  }
  protected reply(call: { method: string; target: string }): FakeReply {
    const id = new URL(call.target, "http://x").searchParams.get("id");
    if (call.method !== "GET" || !id) return { status: 400, body: "Bad validation request." };
    this.validated.add(id);
    return { status: 200, body: "Webhook successfully validated as a subscription endpoint." };
  }
}

// An Azure Event Grid webhook subscription, performed by the test as Azure would: the
// SubscriptionValidation handshake (Event Grid schema), the OPTIONS abuse-protection handshake
// (CloudEvents 1.0 schema), then events of both schemas through the real NATS JetStream, Postgres
// and an in-process worker to a local receiver.

const KEY = Buffer.alloc(32, 4);
process.env.SYNCLINE_SECRET_KEY = KEY.toString("base64");
const SECRET = `eg-${randomUUID()}`;

let fixture: RuntimeFixture;
let sourceId: string;

beforeAll(async () => {
  fixture = await startRuntimeFixture({ partitions: 2 });
  const db = fixture.database.prisma;
  const credential = await createCredential(db, { name: "Event Grid secret", type: "http", secret: { headerValue: SECRET }, settings: { headerName: "x-syncline-secret" } }, { key: KEY });
  sourceId = (await createSource(db, {
    name: "Azure topic", kind: "eventgrid", credentialId: credential.id,
    mapping: { type: '"stock.changed"', orderingKey: "event.data.body.subject" },
  })).id;
  await fixture.deployFlow(stockToReceiverFlow(fixture.receiver.url));
  await fixture.startWorkerInProcess();
}, 60_000);
afterAll(async () => {
  await fixture?.close();
});

const options = (allowlist = ["127.0.0.1"]) => ({ db: fixture.database.prisma, nats: async () => fixture.nc, layout: fixture.layout, allowlist });
const url = (query = `?secret=${SECRET}`, id = sourceId) => `http://localhost/api/sources/${id}/eventgrid${query}`;

async function post(body: unknown, headers: Record<string, string> = {}, query?: string, target: { sourceId?: string; allowlist?: string[] } = {}) {
  const id = target.sourceId ?? sourceId;
  const request = new Request(url(query, id), { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const response = await handleEventGridRequest(request, id, options(target.allowlist)).catch(errorToResponse);
  return { status: response.status, body: (await response.json().catch(() => null)) as Record<string, unknown> | null };
}

describe("Azure Event Grid webhook source", () => {
  it("completes the SubscriptionValidation handshake with the validation code", async () => {
    const validationCode = randomUUID();
    const answer = await post([{
      id: randomUUID(), topic: "/subscriptions/x/resourceGroups/shop/providers/Microsoft.EventGrid/topics/erp", subject: "", eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
      eventTime: new Date().toISOString(), data: { validationCode, validationUrl: `https://rp-westeurope.eventgrid.azure.net/eventsubscriptions/x/validate?id=${validationCode}` }, dataVersion: "2", metadataVersion: "1",
    }], { "aeg-event-type": "SubscriptionValidation" });
    expect(answer).toEqual({ status: 200, body: { validationResponse: validationCode } });
  });

  it("completes the manual handshake: calls Azure's validationUrl from the server when the source is set to it, or the event has no code", async () => {
    const azure = await new FakeAzureValidation().start();
    try {
      const manualId = (await createSource(fixture.database.prisma, {
        name: "Azure topic (manual)", kind: "eventgrid", credentialId: (await fixture.database.prisma.source.findUniqueOrThrow({ where: { id: sourceId } })).credentialId!,
        settings: { handshake: "url" }, mapping: { type: '"stock.changed"', orderingKey: "event.data.body.subject" },
      })).id;
      const validationEvent = (code: string | undefined, id: string) => [{
        id: randomUUID(), topic: "/subscriptions/x/resourceGroups/shop/providers/Microsoft.EventGrid/topics/erp", subject: "", eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
        eventTime: new Date().toISOString(), data: { ...(code ? { validationCode: code } : {}), validationUrl: `${azure.origin}/eventsubscriptions/x/validate?id=${id}&api-version=2018-05-01-preview` }, dataVersion: "2", metadataVersion: "1",
      }];

      // Set to the manual handshake: the server GETs the validationUrl (Azure validates) instead of answering the code.
      const manual = await post(validationEvent("code-1", "sub-1"), { "aeg-event-type": "SubscriptionValidation" }, undefined, { sourceId: manualId });
      expect(manual).toEqual({ status: 200, body: { validated: "validationUrl" } });
      expect(azure.validated).toEqual(new Set(["sub-1"]));
      expect(azure.requests).toEqual([{ method: "GET", target: "/eventsubscriptions/x/validate?id=sub-1&api-version=2018-05-01-preview" }]);

      // A code-handshake source still answers the code and calls nothing…
      expect(await post(validationEvent("code-2", "sub-2"), { "aeg-event-type": "SubscriptionValidation" })).toEqual({ status: 200, body: { validationResponse: "code-2" } });
      expect(azure.requests).toHaveLength(1);
      // …unless the event has no code to answer: then only the URL can validate it.
      expect(await post(validationEvent(undefined, "sub-3"), { "aeg-event-type": "SubscriptionValidation" })).toEqual({ status: 200, body: { validated: "validationUrl" } });
      expect(azure.validated.has("sub-3")).toBe(true);

      // The call goes through the outbound address policy: a host that is not allowed is not called.
      const refused = await post(validationEvent("code-4", "sub-4"), { "aeg-event-type": "SubscriptionValidation" }, undefined, { sourceId: manualId, allowlist: [] });
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.body)).toMatch(/does not call the validationUrl's host/);
      expect(azure.validated.has("sub-4")).toBe(false);

      // Azure refusing (an expired URL) is said in the user's words, as a 502 Event Grid retries.
      azure.outage = { status: 400, body: "The validation link has expired." };
      const expired = await post(validationEvent("code-5", "sub-5"), { "aeg-event-type": "SubscriptionValidation" }, undefined, { sourceId: manualId });
      expect(expired.status).toBe(502);
      expect(JSON.stringify(expired.body)).toContain("The validation link has expired.");
    } finally {
      await azure.stop();
    }
  });

  it("completes the CloudEvents OPTIONS abuse-protection handshake", async () => {
    const request = new Request(url(), { method: "OPTIONS", headers: { "webhook-request-origin": "eventgrid.azure.net", "webhook-request-rate": "120" } });
    const response = await handleEventGridOptions(request, sourceId, options());
    expect(response.status).toBe(200);
    expect(response.headers.get("webhook-allowed-origin")).toBe("eventgrid.azure.net");
  });

  it("refuses calls and handshakes without the secret", async () => {
    const code = randomUUID();
    expect((await post([{ id: "v", eventType: "Microsoft.EventGrid.SubscriptionValidationEvent", data: { validationCode: code } }], {}, "")).status).toBe(401);
    expect((await post([{ id: "v", eventType: "Microsoft.EventGrid.SubscriptionValidationEvent", data: { validationCode: code } }], {}, "?secret=wrong")).status).toBe(401);
    const options_ = await handleEventGridOptions(new Request(url(""), { method: "OPTIONS", headers: { "webhook-request-origin": "eventgrid.azure.net" } }), sourceId, options()).catch(errorToResponse);
    expect(options_.status).toBe(401);
  });

  it("runs the flow for Event Grid schema events (secret in the query) and CloudEvents 1.0 events (secret in a header)", async () => {
    const a = `SKU-EG-${randomUUID().slice(0, 6)}`;
    const b = `SKU-EG-${randomUUID().slice(0, 6)}`;
    const gridEvents = [1, 2].map((quantity) => ({ id: randomUUID(), topic: "/t", subject: a, eventType: "Erp.StockChanged", eventTime: new Date().toISOString(), data: { sku: a, quantity }, dataVersion: "1", metadataVersion: "1" }));
    const grid = await post(gridEvents, { "aeg-event-type": "Notification" });
    expect(grid.status).toBe(200);
    expect((grid.body!.events as { status: string }[]).map((e) => e.status)).toEqual(["accepted", "accepted"]);
    const cloudEvent = { specversion: "1.0", id: randomUUID(), type: "Erp.StockChanged", source: "/erp", subject: b, data: { sku: b, quantity: 9 } };
    const ce = await post(cloudEvent, { "content-type": "application/cloudevents+json", "x-syncline-secret": SECRET }, "");
    expect(ce.status).toBe(200);
    // Event Grid retries the same event: stored once.
    expect(((await post(cloudEvent, { "x-syncline-secret": SECRET }, "")).body!.events as { status: string }[])[0]!.status).toBe("duplicate");
    await fixture.receiver.waitFor(() => fixture.receiver.effects.filter((e) => e.body.sku === a).length === 2 && fixture.receiver.effects.some((e) => e.body.sku === b), 30_000, "the Event Grid runs");
    expect(fixture.receiver.effects.filter((e) => e.body.sku === a).map((e) => e.body.seq)).toEqual([1, 2]);
    expect(fixture.receiver.effects.filter((e) => e.body.sku === b).map((e) => e.body.seq)).toEqual([9]);
  }, 60_000);

  it("answers 400 and dead-letters an event whose data does not fit the type", async () => {
    const bad = await post([{ id: randomUUID(), subject: "SKU-EG-BAD", eventType: "Erp.StockChanged", data: { sku: "SKU-EG-BAD", quantity: "lots" } }]);
    expect(bad.status).toBe(400);
    expect(await fixture.database.prisma.deadLetter.count({ where: { flowId: `source:${sourceId}`, orderingKey: "SKU-EG-BAD" } })).toBe(1);
  });
});
