import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createBolComConnector } from "./bolcom";
import { expectDown, expectPermanent, transport } from "./testing/connector-test-helpers";
import { FakeBolCom } from "./testing/fake-bolcom";
import { TokenCache } from "./token-cache";

const bol = new FakeBolCom("client-1", "secret-1");
let tokens: TokenCache;
let clock = 1_000_000;
let connector: ReturnType<typeof createBolComConnector>;

function connect(overrides: { clientSecret?: string; baseSuffix?: string } = {}) {
  return createBolComConnector({
    credentialId: "cred-bol",
    settings: { baseUrl: `${bol.baseUrl}${overrides.baseSuffix ?? "/retailer"}`, authUrl: `${bol.baseUrl}/token` },
    secret: { clientId: "client-1", clientSecret: overrides.clientSecret ?? "secret-1" },
    tokens,
    now: () => clock,
  });
}

beforeAll(async () => {
  await bol.start();
  bol.addOffer({ offerId: "offer-a", ean: "8712345678906", reference: "SKU-1", unitPrice: 19.99, amount: 10 });
});
afterAll(() => bol.stop());
beforeEach(() => {
  tokens = new TokenCache(() => clock);
  connector = connect();
});

const key = "idem";

describe("bol.com connector", () => {
  it("gets a client-credentials token, finds the offer by EAN and PUTs its price with the retailer media type", async () => {
    const issued = bol.tokensIssued;
    const result = await connector.sync({ operation: "update-price", product: { sku: "SKU-1", ean: "8712345678906", price: 17.5 }, idempotencyKey: key }, transport);
    expect(result).toEqual({ status: "applied", externalId: "offer-a" });
    expect(bol.offers.get("offer-a")!.unitPrice).toBe(17.5);
    expect(bol.tokensIssued).toBe(issued + 1);
    const [token, find, put] = bol.requests.slice(-3);
    expect(token!.url.searchParams.get("grant_type")).toBe("client_credentials");
    expect(token!.headers.authorization).toBe(`Basic ${Buffer.from("client-1:secret-1").toString("base64")}`);
    expect(find!.url.search).toBe("?ean=8712345678906");
    expect(put).toMatchObject({ method: "PUT", path: "/retailer/offers/offer-a/price", json: { pricing: { bundlePrices: [{ quantity: 1, unitPrice: 17.5 }] } } });
    expect(put!.headers["content-type"]).toBe("application/vnd.retailer.v10+json");
    expect(await connector.sync({ operation: "update-price", product: { sku: "SKU-1", ean: "8712345678906", price: 17.5 }, idempotencyKey: key }, transport)).toMatchObject({ status: "unchanged" });
  });

  it("finds the offer by reference (SKU) when no EAN is known, updates and zeroes stock; base URL with or without /retailer", async () => {
    await connector.sync({ operation: "update-stock", product: { sku: "SKU-1", quantity: 4 }, idempotencyKey: key }, transport);
    expect(bol.offers.get("offer-a")!.amount).toBe(4);
    expect(bol.requests.at(-1)!.json).toEqual({ amount: 4, managedByRetailer: true });
    await connect({ baseSuffix: "" }).sync({ operation: "mark-out-of-stock", product: { sku: "SKU-1" }, idempotencyKey: key }, transport);
    expect(bol.offers.get("offer-a")!.amount).toBe(0);
  });

  it("reuses the token, and refreshes it once when bol answers 401 or it is about to expire", async () => {
    const update = (price: number) => ({ operation: "update-price" as const, product: { sku: "SKU-1", price }, idempotencyKey: key });
    await connector.sync(update(11), transport);
    const issued = bol.tokensIssued;
    await connector.sync(update(12), transport);
    expect(bol.tokensIssued).toBe(issued);
    bol.expireTokens();
    await connector.sync(update(13), transport);
    expect(bol.tokensIssued).toBe(issued + 1);
    expect(bol.offers.get("offer-a")!.unitPrice).toBe(13);
    clock += 299_000; // past expires_in
    await connector.sync(update(14), transport);
    expect(bol.tokensIssued).toBe(issued + 2);
  });

  it("reports bad client credentials and validation problems as permanent with bol's own words", async () => {
    await expectPermanent(connect({ clientSecret: "wrong" }).sync({ operation: "update-stock", product: { sku: "SKU-1", quantity: 1 }, idempotencyKey: key }, transport), "invalid_client: Bad client credentials");
    await expectPermanent(connector.sync({ operation: "update-price", product: { sku: "SKU-1", price: 0.5 }, idempotencyKey: key }, transport), "pricing.bundlePrices[0].unitPrice: Unit price must be between 1 and 9999.");
    await expectPermanent(connector.sync({ operation: "update-price", product: { sku: "NOPE", price: 5 }, idempotencyKey: key }, transport), 'no offer for reference (SKU) "NOPE"');
  });

  it("creates an offer for a new EAN on upsert-product", async () => {
    const result = await connector.sync({ operation: "upsert-product", product: { sku: "SKU-9", ean: "8711111111113", name: "Scarf", price: 25, quantity: 3 }, idempotencyKey: key }, transport);
    expect(result.status).toBe("applied");
    const created = [...bol.offers.values()].find((o) => o.ean === "8711111111113");
    expect(created).toMatchObject({ reference: "SKU-9", unitPrice: 25, amount: 3 });
    expect(bol.requests.at(-1)!.json).toMatchObject({ condition: { name: "NEW" }, fulfilment: { method: "FBR" }, unknownProductTitle: "Scarf" });
  });

  it("treats 429 (Retry-After), 5xx and a stopped API as down, and recovers", async () => {
    const update = { operation: "update-stock" as const, product: { sku: "SKU-1", quantity: 8 }, idempotencyKey: key };
    await connector.sync({ ...update, product: { sku: "SKU-1", quantity: 7 } }, transport); // token cached
    bol.failNext({ status: 429, body: { title: "Too Many Requests", status: 429, detail: "You have made too many requests." }, headers: { "retry-after": "12" } });
    const limited = await expectDown(connector.sync(update, transport), 12_000);
    expect(limited.message).toContain("You have made too many requests.");
    bol.failNext({ status: 503, body: { title: "Service Unavailable", status: 503 } });
    await expectDown(connector.sync(update, transport));
    await bol.stop();
    await expectDown(connector.sync(update, transport));
    await bol.start();
    await connector.sync(update, transport);
    expect(bol.offers.get("offer-a")!.amount).toBe(8);
  });
});
