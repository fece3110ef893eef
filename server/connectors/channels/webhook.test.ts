import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectDown, expectPermanent, transport } from "./testing/connector-test-helpers";
import { FakeWebhookReceiver } from "./testing/fake-webhook";
import { createWebhookConnector, signWebhookBody } from "./webhook";

const secret = "whsec_test";
const receiver = new FakeWebhookReceiver(secret);
let connector: ReturnType<typeof createWebhookConnector>;

beforeAll(async () => {
  await receiver.start();
  connector = createWebhookConnector({ channelId: "ch-1", settings: { url: `${receiver.baseUrl}/hooks/syncline` }, secret: { signingSecret: secret } });
});
afterAll(() => receiver.stop());

describe("webhook connector", () => {
  it("POSTs signed JSON with the Idempotency-Key, and a repeat is unchanged", async () => {
    const update = { operation: "update-price" as const, product: { sku: "SKU-1", price: 19.99, currency: "EUR" }, idempotencyKey: "k-1", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
    expect(await connector.sync(update, transport)).toEqual({ status: "applied", externalId: "ext-SKU-1" });
    const request = receiver.requests.at(-1)!;
    expect(request.headers["x-syncline-signature"]).toBe(`sha256=${createHmac("sha256", secret).update(request.body).digest("hex")}`);
    expect(request.headers["idempotency-key"]).toBe("k-1");
    expect(request.headers.traceparent).toBe(update.traceparent);
    expect(request.json).toMatchObject({ operation: "update-price", channelId: "ch-1", sku: "SKU-1", data: { sku: "SKU-1", price: 19.99, currency: "EUR" } });
    expect(receiver.products.get("SKU-1")).toMatchObject({ price: 19.99 });
    expect(await connector.sync(update, transport)).toEqual({ status: "unchanged" });
    expect(receiver.deliveries).toHaveLength(1);
  });

  it("sends quantity 0 for mark-out-of-stock and renames fields per the channel's field mapping", async () => {
    const mapped = createWebhookConnector({ channelId: "ch-1", settings: { url: `${receiver.baseUrl}/hooks/syncline`, fieldMapping: { quantity: "stock" } }, secret: { signingSecret: secret } });
    await mapped.sync({ operation: "mark-out-of-stock", product: { sku: "SKU-2", quantity: 7 }, idempotencyKey: "k-2" }, transport);
    expect(receiver.products.get("SKU-2")).toEqual({ sku: "SKU-2", stock: 0 });
  });

  it("signs with HMAC-SHA256 of the exact body", () => {
    expect(signWebhookBody("{}", "k")).toBe(`sha256=${createHmac("sha256", "k").update("{}").digest("hex")}`);
  });

  it("reports the receiver's validation message as permanent, and a wrong secret as permanent", async () => {
    await expectPermanent(connector.sync({ operation: "update-price", product: { sku: "SKU-3", price: 0 }, idempotencyKey: "k-3" }, transport), "price of SKU-3 must be positive");
    const wrong = createWebhookConnector({ channelId: "ch-1", settings: { url: `${receiver.baseUrl}/hooks/syncline` }, secret: { signingSecret: "other" } });
    await expectPermanent(wrong.sync({ operation: "update-stock", product: { sku: "SKU-3", quantity: 1 }, idempotencyKey: "k-4" }, transport), "signature mismatch");
  });

  it("treats 5xx, 429, timeouts and a stopped receiver as down, and delivers once it is back", async () => {
    const update = { operation: "update-stock" as const, product: { sku: "SKU-4", quantity: 5 }, idempotencyKey: "k-5" };
    receiver.failNext({ status: 503, body: { message: "maintenance" }, headers: { "retry-after": "30" } });
    await expectDown(connector.sync(update, transport), 30_000);
    receiver.failNext({ status: 429, body: { message: "slow down" }, headers: { "retry-after": "2" } });
    await expectDown(connector.sync(update, transport), 2_000);
    receiver.hangNext();
    await expectDown(connector.sync(update, { ...transport, timeoutMs: 300 }));
    await receiver.stop();
    const error = await expectDown(connector.sync(update, transport));
    expect(error.message).toContain("ECONNREFUSED");
    await receiver.start();
    expect(await connector.sync(update, transport)).toMatchObject({ status: "applied" });
    expect(receiver.products.get("SKU-4")).toMatchObject({ quantity: 5 });
  });
});
