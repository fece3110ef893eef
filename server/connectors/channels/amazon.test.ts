import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAmazonConnector } from "./amazon";
import { expectDown, expectPermanent, transport } from "./testing/connector-test-helpers";
import { FakeAmazon } from "./testing/fake-amazon";
import { TokenCache } from "./token-cache";

const credentials = { clientId: "amzn1.application-oa2-client.x", clientSecret: "lwa-secret", refreshToken: "Atzr|refresh" };
const amazon = new FakeAmazon(credentials, "A2SELLER", "A1PA6795UKMFR9");
let tokens: TokenCache;
let connector: ReturnType<typeof createAmazonConnector>;

function connect(secret = credentials) {
  return createAmazonConnector({
    credentialId: "cred-amz",
    settings: { baseUrl: amazon.baseUrl, authUrl: `${amazon.baseUrl}/auth/o2/token`, marketplaceId: "A1PA6795UKMFR9", sellerId: "A2SELLER", currency: "EUR", language: "de-DE" },
    secret,
    tokens,
  });
}

beforeAll(async () => {
  await amazon.start();
  amazon.addListing({ sku: "SKU-1", price: 19.99, currency: "EUR", quantity: 10 });
});
afterAll(() => amazon.stop());
beforeEach(() => {
  tokens = new TokenCache();
  connector = connect();
});

const key = "idem";

describe("Amazon SP-API connector", () => {
  it("exchanges the refresh token with LWA and PATCHes purchasable_offer for a price", async () => {
    const result = await connector.sync({ operation: "update-price", product: { sku: "SKU-1", price: 17.5 }, idempotencyKey: key }, transport);
    expect(result).toMatchObject({ status: "applied", externalId: expect.stringMatching(/^sub-/) });
    expect(amazon.listings.get("SKU-1")).toMatchObject({ price: 17.5, currency: "EUR" });
    const [token, patch] = amazon.requests.slice(-2);
    expect(Object.fromEntries(new URLSearchParams(token!.body))).toEqual({ grant_type: "refresh_token", refresh_token: credentials.refreshToken, client_id: credentials.clientId, client_secret: credentials.clientSecret });
    expect(patch).toMatchObject({ method: "PATCH", path: "/listings/2021-08-01/items/A2SELLER/SKU-1" });
    expect(patch!.url.searchParams.get("marketplaceIds")).toBe("A1PA6795UKMFR9");
    expect(patch!.headers["x-amz-access-token"]).toMatch(/^Atza\|/);
    expect(patch!.json).toEqual({
      productType: "PRODUCT",
      patches: [{ op: "replace", path: "/attributes/purchasable_offer", value: [{ marketplace_id: "A1PA6795UKMFR9", currency: "EUR", our_price: [{ schedule: [{ value_with_tax: 17.5 }] }] }] }],
    });
  });

  it("patches fulfillment_availability for stock and out-of-stock, and names for upsert-product", async () => {
    await connector.sync({ operation: "update-stock", product: { sku: "SKU-1", quantity: 3 }, idempotencyKey: key }, transport);
    expect(amazon.listings.get("SKU-1")!.quantity).toBe(3);
    await connector.sync({ operation: "mark-out-of-stock", product: { sku: "SKU-1" }, idempotencyKey: key }, transport);
    expect(amazon.listings.get("SKU-1")!.quantity).toBe(0);
    await connector.sync({ operation: "upsert-product", product: { sku: "SKU-1", name: "Pullover", description: "Warm" }, idempotencyKey: key }, transport);
    expect(amazon.listings.get("SKU-1")).toMatchObject({ itemName: "Pullover", description: "Warm" });
    expect(JSON.stringify(amazon.requests.at(-1)!.json)).toContain('"language_tag":"de_DE"');
  });

  it("caches the access token and exchanges the refresh token again when the token has expired", async () => {
    await connector.sync({ operation: "update-stock", product: { sku: "SKU-1", quantity: 5 }, idempotencyKey: key }, transport);
    const issued = amazon.tokensIssued;
    await connector.sync({ operation: "update-stock", product: { sku: "SKU-1", quantity: 6 }, idempotencyKey: key }, transport);
    expect(amazon.tokensIssued).toBe(issued);
    amazon.expireTokens();
    await connector.sync({ operation: "update-stock", product: { sku: "SKU-1", quantity: 7 }, idempotencyKey: key }, transport);
    expect(amazon.tokensIssued).toBe(issued + 1);
    expect(amazon.listings.get("SKU-1")!.quantity).toBe(7);
  });

  it("reports INVALID submissions and LWA refusals as permanent with Amazon's messages", async () => {
    await expectPermanent(connector.sync({ operation: "update-price", product: { sku: "SKU-1", price: 0 }, idempotencyKey: key }, transport), "90220: 'our_price' must be greater than 0.");
    await expectPermanent(connector.sync({ operation: "update-stock", product: { sku: "NOPE", quantity: 1 }, idempotencyKey: key }, transport), "SKU NOPE does not exist");
    tokens = new TokenCache(); // a fresh worker: no access token cached for this credential
    await expectPermanent(connect({ ...credentials, refreshToken: "revoked" }).sync({ operation: "update-stock", product: { sku: "SKU-1", quantity: 1 }, idempotencyKey: key }, transport), "invalid_grant: The request has an invalid grant parameter");
  });

  it("treats 429, 5xx, timeouts and a stopped endpoint as down, and recovers", async () => {
    const update = { operation: "update-stock" as const, product: { sku: "SKU-1", quantity: 9 }, idempotencyKey: key };
    await connector.sync({ ...update, product: { sku: "SKU-1", quantity: 8 } }, transport); // token cached
    amazon.failNext({ status: 429, body: { errors: [{ code: "QuotaExceeded", message: "You exceeded your quota for the requested resource.", details: "" }] } });
    const limited = await expectDown(connector.sync(update, transport));
    expect(limited.message).toContain("QuotaExceeded: You exceeded your quota");
    amazon.failNext({ status: 500, body: { errors: [{ code: "InternalFailure", message: "We encountered an internal error. Please try again.", details: "" }] } });
    await expectDown(connector.sync(update, transport));
    amazon.hangNext();
    await expectDown(connector.sync(update, { ...transport, timeoutMs: 300 }));
    await amazon.stop();
    await expectDown(connector.sync(update, transport));
    await amazon.start();
    await connector.sync(update, transport);
    expect(amazon.listings.get("SKU-1")!.quantity).toBe(9);
  });
});
