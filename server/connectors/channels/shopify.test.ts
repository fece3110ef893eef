import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TransientError } from "@/server/outbound/execution-errors";
import { createShopifyConnector, shopifyThrottleWaitMs } from "./shopify";
import { expectDown, expectPermanent, failureOf, transport } from "./testing/connector-test-helpers";
import { FakeShopify } from "./testing/fake-shopify";

const shop = new FakeShopify("shpat_test", "2025-07");
let connector: ReturnType<typeof createShopifyConnector>;
const key = (n: number) => `idem-${n}`;

beforeAll(async () => {
  await shop.start();
  shop.addProduct({ sku: "SKU-1", title: "Sweater", price: "89.95", quantity: 10 });
  shop.addProduct({ sku: "SKU-10", title: "Other", price: "5.00" }); // a search for SKU-1 must not pick it
  connector = createShopifyConnector({ settings: { baseUrl: shop.baseUrl, apiVersion: "2025-07" }, secret: { accessToken: "shpat_test" } });
});
afterAll(() => shop.stop());

describe("Shopify connector", () => {
  it("updates a variant's price found by SKU, sending the access token, and reports a repeat as unchanged", async () => {
    const result = await connector.sync({ operation: "update-price", product: { sku: "SKU-1", price: 69.9 }, idempotencyKey: key(1) }, transport);
    expect(result).toEqual({ status: "applied", externalId: shop.variantBySku("SKU-1")!.product.id });
    expect(shop.priceOf("SKU-1")).toBe("69.90");
    expect(shop.priceOf("SKU-10")).toBe("5.00");
    const [find, update] = shop.requests.slice(-2);
    expect(find!.headers["x-shopify-access-token"]).toBe("shpat_test");
    expect(find!.json).toMatchObject({ variables: { query: 'sku:"SKU-1"' } });
    expect(update!.json).toMatchObject({ variables: { productId: expect.stringContaining("Product"), variants: [{ price: "69.90" }] } });
    expect(await connector.sync({ operation: "update-price", product: { sku: "SKU-1", price: 69.9 }, idempotencyKey: key(2) }, transport)).toMatchObject({ status: "unchanged" });
  });

  it("sets the available quantity at the shop's first location, and 0 for mark-out-of-stock", async () => {
    await connector.sync({ operation: "update-stock", product: { sku: "SKU-1", quantity: 4 }, idempotencyKey: key(3) }, transport);
    expect(shop.quantityOf("SKU-1")).toBe(4);
    const set = shop.requests.at(-1)!.json as { variables: { input: Record<string, unknown> } };
    expect(set.variables.input).toMatchObject({ name: "available", ignoreCompareQuantity: true, quantities: [{ locationId: "gid://shopify/Location/1", quantity: 4 }] });
    await connector.sync({ operation: "mark-out-of-stock", product: { sku: "SKU-1" }, idempotencyKey: key(4) }, transport);
    expect(shop.quantityOf("SKU-1")).toBe(0);
  });

  it("creates a new SKU with productSet and updates title and description of a known one", async () => {
    const created = await connector.sync({ operation: "upsert-product", product: { sku: "SKU-NEW", name: "Scarf", description: "<p>Warm</p>", price: 25 }, idempotencyKey: key(5) }, transport);
    expect(created.status).toBe("applied");
    expect(shop.variantBySku("SKU-NEW")).toMatchObject({ product: { title: "Scarf", descriptionHtml: "<p>Warm</p>" }, variant: { price: "25.00" } });
    await connector.sync({ operation: "upsert-product", product: { sku: "SKU-NEW", name: "Wool scarf" }, idempotencyKey: key(6) }, transport);
    expect(shop.variantBySku("SKU-NEW")!.product.title).toBe("Wool scarf");
    expect(await connector.sync({ operation: "upsert-product", product: { sku: "SKU-NEW", name: "Wool scarf", price: 25 }, idempotencyKey: key(7) }, transport)).toMatchObject({ status: "unchanged" });
  });

  it("turns userErrors and unknown SKUs into permanent errors with Shopify's message", async () => {
    await expectPermanent(connector.sync({ operation: "upsert-product", product: { sku: "SKU-1", name: " " }, idempotencyKey: key(8) }, transport), "title: Title can't be blank");
    await expectPermanent(connector.sync({ operation: "update-price", product: { sku: "NOPE", price: 1 }, idempotencyKey: key(9) }, transport), 'no product variant with SKU "NOPE"');
    const wrongLocation = createShopifyConnector({ settings: { baseUrl: shop.baseUrl, apiVersion: "2025-07", locationId: "gid://shopify/Location/99" }, secret: { accessToken: "shpat_test" } });
    await expectPermanent(wrongLocation.sync({ operation: "update-stock", product: { sku: "SKU-1", quantity: 1 }, idempotencyKey: key(10) }, transport), "The specified location could not be found");
  });

  it("reports a refused access token as permanent with Shopify's message (tokens are not refreshable)", async () => {
    const wrong = createShopifyConnector({ settings: { baseUrl: shop.baseUrl, apiVersion: "2025-07" }, secret: { accessToken: "revoked" } });
    await expectPermanent(wrong.sync({ operation: "update-price", product: { sku: "SKU-1", price: 1 }, idempotencyKey: key(11) }, transport), "Invalid API key or access token");
  });

  it("treats THROTTLED as transient with a wait from throttleStatus, then succeeds", async () => {
    shop.throttle();
    const error = await failureOf(connector.sync({ operation: "update-price", product: { sku: "SKU-1", price: 59 }, idempotencyKey: key(12) }, transport));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ systemDown: true, retryAfterMs: 1_000 });
    expect(error.message).toContain("Throttled");
    expect(shopifyThrottleWaitMs({ cost: { requestedQueryCost: 500, throttleStatus: { currentlyAvailable: 100, restoreRate: 50 } } })).toBe(8_000);
    await connector.sync({ operation: "update-price", product: { sku: "SKU-1", price: 59 }, idempotencyKey: key(12) }, transport);
    expect(shop.priceOf("SKU-1")).toBe("59.00");
  });

  it("treats 429 with Retry-After, 5xx and a stopped shop as down, and works again once it is back", async () => {
    const update = { operation: "update-price" as const, product: { sku: "SKU-1", price: 49 }, idempotencyKey: key(13) };
    shop.failNext({ status: 429, body: { errors: "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service." }, headers: { "retry-after": "2.0" } });
    const limited = await expectDown(connector.sync(update, transport), 2_000);
    expect(limited.message).toContain("Exceeded 2 calls per second");
    shop.failNext({ status: 502, body: "Bad Gateway" });
    await expectDown(connector.sync(update, transport));
    await shop.stop();
    await expectDown(connector.sync(update, transport));
    await shop.start();
    await connector.sync(update, transport);
    expect(shop.priceOf("SKU-1")).toBe("49.00");
  });
});
