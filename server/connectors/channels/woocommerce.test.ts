import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectDown, expectPermanent, transport } from "./testing/connector-test-helpers";
import { FakeWooCommerce } from "./testing/fake-woocommerce";
import { createWooCommerceConnector } from "./woocommerce";

const shop = new FakeWooCommerce("ck_test", "cs_test");
let connector: ReturnType<typeof createWooCommerceConnector>;

beforeAll(async () => {
  await shop.start();
  shop.addProduct({ sku: "SKU-1", name: "Sweater", regular_price: "89.95", manage_stock: true, stock_quantity: 10 });
  connector = createWooCommerceConnector({ settings: { baseUrl: shop.baseUrl }, secret: { consumerKey: "ck_test", consumerSecret: "cs_test" } });
});
afterAll(() => shop.stop());

const key = "idem";

describe("WooCommerce connector", () => {
  it("finds the product by SKU and PUTs the regular price with Basic auth; a repeat is unchanged", async () => {
    const result = await connector.sync({ operation: "update-price", product: { sku: "SKU-1", price: 69.9 }, idempotencyKey: key }, transport);
    expect(result).toEqual({ status: "applied", externalId: String(shop.bySku("SKU-1")!.id) });
    expect(shop.bySku("SKU-1")!.regular_price).toBe("69.90");
    const [find, put] = shop.requests.slice(-2);
    expect(find!.url.search).toBe("?sku=SKU-1");
    expect(put).toMatchObject({ method: "PUT", path: `/wp-json/wc/v3/products/${shop.bySku("SKU-1")!.id}`, json: { regular_price: "69.90" } });
    expect(put!.headers.authorization).toBe(`Basic ${Buffer.from("ck_test:cs_test").toString("base64")}`);
    expect(await connector.sync({ operation: "update-price", product: { sku: "SKU-1", price: 69.9 }, idempotencyKey: key }, transport)).toMatchObject({ status: "unchanged" });
  });

  it("sets stock_quantity and stock_status, and marks out of stock", async () => {
    await connector.sync({ operation: "update-stock", product: { sku: "SKU-1", quantity: 3 }, idempotencyKey: key }, transport);
    expect(shop.bySku("SKU-1")).toMatchObject({ manage_stock: true, stock_quantity: 3, stock_status: "instock" });
    await connector.sync({ operation: "mark-out-of-stock", product: { sku: "SKU-1" }, idempotencyKey: key }, transport);
    expect(shop.bySku("SKU-1")).toMatchObject({ stock_quantity: 0, stock_status: "outofstock" });
  });

  it("creates a new SKU and updates name and description of a known one", async () => {
    await connector.sync({ operation: "upsert-product", product: { sku: "SKU-NEW", name: "Scarf", description: "Warm", price: 25, images: ["https://img.example.com/a.jpg"] }, idempotencyKey: key }, transport);
    expect(shop.bySku("SKU-NEW")).toMatchObject({ name: "Scarf", description: "Warm", regular_price: "25.00", type: "simple" });
    expect(shop.requests.at(-1)!.json).toMatchObject({ images: [{ src: "https://img.example.com/a.jpg" }] });
    await connector.sync({ operation: "upsert-product", product: { sku: "SKU-NEW", name: "Wool scarf" }, idempotencyKey: key }, transport);
    expect(shop.bySku("SKU-NEW")!.name).toBe("Wool scarf");
  });

  it("reports WooCommerce's validation message and code as permanent, and an unknown SKU", async () => {
    await expectPermanent(connector.sync({ operation: "update-stock", product: { sku: "SKU-1", quantity: 1.5 }, idempotencyKey: key }, transport), "Invalid parameter(s): stock_quantity (rest_invalid_param)");
    await expectPermanent(connector.sync({ operation: "update-price", product: { sku: "NOPE", price: 1 }, idempotencyKey: key }, transport), 'no product with SKU "NOPE"');
  });

  it("reports refused keys as permanent with the shop's message", async () => {
    const wrong = createWooCommerceConnector({ settings: { baseUrl: shop.baseUrl }, secret: { consumerKey: "ck_test", consumerSecret: "wrong" } });
    await expectPermanent(wrong.sync({ operation: "update-price", product: { sku: "SKU-1", price: 1 }, idempotencyKey: key }, transport), "Sorry, you cannot list resources.");
  });

  it("treats 429, 5xx, timeouts and a stopped shop as down, and recovers", async () => {
    const update = { operation: "update-price" as const, product: { sku: "SKU-1", price: 10 }, idempotencyKey: key };
    shop.failNext({ status: 429, body: { code: "rate_limited", message: "Too many requests" }, headers: { "retry-after": "5" } });
    await expectDown(connector.sync(update, transport), 5_000);
    shop.failNext({ status: 500, body: { code: "internal_server_error", message: "There has been a critical error on this website." } });
    await expectDown(connector.sync(update, transport));
    shop.hangNext();
    await expectDown(connector.sync(update, { ...transport, timeoutMs: 300 }));
    await shop.stop();
    await expectDown(connector.sync(update, transport));
    await shop.start();
    expect(await connector.sync(update, transport)).toMatchObject({ status: "applied" });
    expect(shop.bySku("SKU-1")!.regular_price).toBe("10.00");
  });
});
