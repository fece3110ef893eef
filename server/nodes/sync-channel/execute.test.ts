import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { createChannel } from "@/server/channels/channel-store";
import { FakeWebhookReceiver } from "@/server/connectors/channels/testing/fake-webhook";
import { FakeWooCommerce } from "@/server/connectors/channels/testing/fake-woocommerce";
import { TokenCache } from "@/server/connectors/channels/token-cache";
import { createCredential } from "@/server/credentials/credential-store";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { builtInEventTypes, type CloudEvent } from "../../events/event-types";
import type { ExecutionContext } from "../define-executor";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { syncChannelNode } from "./definition";
import { channelProductFor, createSyncChannelExecutor } from "./execute";
import { executionContext } from "../testing/execution-context";

// The executor through the real credential and channel stores (encrypted credentials in a test
// database) against local platform servers.

const key = randomBytes(32);
const previousKey = process.env.SYNCLINE_SECRET_KEY;
let database: TestDatabase;
const woo = new FakeWooCommerce("ck_live", "cs_live");
const hook = new FakeWebhookReceiver("whsec_1");
let wooChannelId: string;
let hookChannelId: string;
const executor = createSyncChannelExecutor({ tokens: new TokenCache(), timeoutMs: 2_000 });

beforeAll(async () => {
  process.env.SYNCLINE_SECRET_KEY = key.toString("base64");
  database = await createTestDatabase();
  await Promise.all([woo.start(), hook.start()]);
  woo.addProduct({ sku: "SKU-1001", name: "Merino wool sweater", regular_price: "89.95", manage_stock: true, stock_quantity: 5 });
  const db = database.prisma;
  const wooCredential = await createCredential(db, { name: "Woo", type: "woocommerce", secret: { consumerKey: "ck_live", consumerSecret: "cs_live" } }, { key });
  const hookCredential = await createCredential(db, { name: "Hook", type: "webhook", secret: { signingSecret: "whsec_1" } }, { key });
  wooChannelId = (await createChannel(db, { name: "Woo shop", type: "woocommerce", credentialId: wooCredential.id, settings: { baseUrl: woo.baseUrl } })).id;
  hookChannelId = (await createChannel(db, { name: "ERP hook", type: "webhook", credentialId: hookCredential.id, settings: { url: `${hook.baseUrl}/hooks/syncline`, currency: "EUR" } })).id;
});
afterAll(async () => {
  await Promise.all([woo.stop(), hook.stop()]);
  await database?.drop();
  if (previousKey === undefined) delete process.env.SYNCLINE_SECRET_KEY;
  else process.env.SYNCLINE_SECRET_KEY = previousKey;
});

type Config = z.input<typeof syncChannelNode.config>;

function context(config: Config, event: CloudEvent): ExecutionContext<z.output<typeof syncChannelNode.config>> {
  return executionContext(syncChannelNode, config, {
    event,
    steps: { translate: { name: "Merinopullover" } },
    nodeId: "sync",
    flowVersion: 2,
    services: { httpAllowlist: ["127.0.0.1"], db: database.prisma },
  });
}

const priceChanged = builtInEventTypes["price.changed"].example;
const stockChanged = builtInEventTypes["stock.changed"].example;

async function channelRow(id: string) {
  return database.prisma.channel.findUniqueOrThrow({ where: { id } });
}

describe("action:sync-channel", () => {
  it("reads the channel and its encrypted credential, applies the price and records success", async () => {
    const result = await executor.execute(context({ channelId: wooChannelId, operation: "update-price" }, priceChanged));
    expect(result.output).toEqual({ channelId: wooChannelId, operation: "update-price", status: "applied", externalId: String(woo.bySku("SKU-1001")!.id) });
    expect(woo.bySku("SKU-1001")!.regular_price).toBe("69.95");
    expect((await channelRow(wooChannelId)).lastSuccessAt).not.toBeNull();
  });

  it("marks out of stock and sends the runtime's idempotency key and trace to the webhook", async () => {
    await executor.execute(context({ channelId: wooChannelId, operation: "mark-out-of-stock" }, stockChanged));
    expect(woo.bySku("SKU-1001")).toMatchObject({ stock_quantity: 0, stock_status: "outofstock" });
    await executor.execute(context({ channelId: hookChannelId, operation: "update-stock" }, stockChanged));
    const request = hook.requests.at(-1)!;
    expect(request.headers["idempotency-key"]).toBe(`${stockChanged.id}:flow-1:v2:sync`);
    expect(request.headers.traceparent).toBe("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    expect(request.json).toMatchObject({ operation: "update-stock", sku: "SKU-1001", data: { quantity: 0, currency: "EUR" } });
  });

  it("applies the node's field mapping over the standard one", async () => {
    await executor.execute(
      context({ channelId: hookChannelId, operation: "upsert-product", mapping: { name: "steps.translate.name", price: "$string(event.data.price * 2)" } }, builtInEventTypes["product.created"].example),
    );
    expect(hook.products.get("SKU-1001")).toMatchObject({ name: "Merinopullover", price: 179.9, description: expect.stringContaining("merino") });
  });

  it("holds updates while the channel is down: transient systemDown, downSince set, then cleared on recovery", async () => {
    await woo.stop();
    const error = await executor.execute(context({ channelId: wooChannelId, operation: "update-price" }, priceChanged)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ systemDown: true });
    const down = await channelRow(wooChannelId);
    expect(down.downSince).not.toBeNull();
    expect(down.lastError).toContain("ECONNREFUSED");
    await woo.start();
    await executor.execute(context({ channelId: wooChannelId, operation: "update-price" }, { ...priceChanged, data: { sku: "SKU-1001", price: 59.95, currency: "EUR" } }));
    expect(woo.bySku("SKU-1001")!.regular_price).toBe("59.95");
    expect((await channelRow(wooChannelId)).downSince).toBeNull();
  });

  it("fails permanently with the platform's message and records it without marking the channel down", async () => {
    const healthBefore = await channelRow(wooChannelId);
    const error = await executor.execute(context({ channelId: wooChannelId, operation: "update-stock", mapping: { quantity: "2.5" } }, stockChanged)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    // 2.5 is refused before it is sent: quantities are whole numbers. The flow's mapping is at
    // fault, not the shop, so the channel's health is left as it was.
    expect((error as Error).message).toBe('Field mapping "quantity": a quantity is a whole number');
    expect(await channelRow(wooChannelId)).toMatchObject({ lastErrorAt: healthBefore.lastErrorAt, lastError: healthBefore.lastError, downSince: null });
    const refused = await executor.execute(context({ channelId: hookChannelId, operation: "update-price", mapping: { price: "0" } }, priceChanged)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PermanentError);
    expect((refused as Error).message).toContain("price of SKU-1001 must be positive");
    const row = await channelRow(hookChannelId);
    expect(row.lastError).toContain("price of SKU-1001 must be positive");
    expect(row.downSince).toBeNull();
  });

  it("fails permanently for an unknown channel or a missing database", async () => {
    await expect(executor.execute(context({ channelId: "00000000-0000-0000-0000-000000000000", operation: "update-price" }, priceChanged))).rejects.toBeInstanceOf(PermanentError);
    const noDb = { ...context({ channelId: wooChannelId, operation: "update-price" }, priceChanged), services: { httpAllowlist: [] } };
    await expect(executor.execute(noDb)).rejects.toThrow("needs the database");
  });
});

describe("channelProductFor", () => {
  const base = { steps: {}, event: { ...builtInEventTypes["product.created"].example } };
  it("takes the standard fields, the EAN from attributes, and the channel's currency as default", async () => {
    const event = { ...base.event, data: { sku: "S-1", price: 5, attributes: { ean: "8712345678906" } } };
    expect(await channelProductFor({ ...base, event, config: { mapping: {} } }, { currency: "USD" })).toEqual({ sku: "S-1", price: 5, currency: "USD", ean: "8712345678906", attributes: { ean: "8712345678906" } });
  });
  it("uses the subject as SKU and converts numeric text", async () => {
    const event = { ...base.event, subject: "S-2", data: { lines: [] } };
    expect(await channelProductFor({ ...base, event, config: { mapping: { quantity: "'7'" } } }, {})).toEqual({ sku: "S-2", quantity: 7 });
  });
});
