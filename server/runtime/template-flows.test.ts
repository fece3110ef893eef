import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openAssetStore, ASSET_URL_PATH } from "@/server/assets/asset-store";
import { FakeAmazon } from "@/server/connectors/channels/testing/fake-amazon";
import { FakeBolCom } from "@/server/connectors/channels/testing/fake-bolcom";
import { FakeShopify } from "@/server/connectors/channels/testing/fake-shopify";
import { FakeWebhookReceiver } from "@/server/connectors/channels/testing/fake-webhook";
import { FakeWooCommerce } from "@/server/connectors/channels/testing/fake-woocommerce";
import { createFakeDeepL } from "@/server/connectors/translate/testing/fake-deepl";
import { createCredential } from "@/server/credentials/credential-store";
import { startRuntimeFixture, type RuntimeFixture } from "./testing/runtime-fixture";
import { createTestChannel, eventIdOf, FakeHttpService, templateDocument, waitUntil, withoutRepeats } from "./testing/template-fixture";

// The four seed flows (server/flows/templates.ts), each end to end through the real runtime:
// its own nats-server, a Postgres database, an in-process worker, real credential and channel rows,
// and local servers speaking each provider's API. In every test one outside system goes offline
// mid-run and comes back: every system ends with the right data, the offline one received its
// updates in publish order, nothing is dead-lettered and every run succeeds.

let fixture: RuntimeFixture | undefined;
const servers: { stop: () => Promise<void> }[] = [];
const previousKey = process.env.SYNCLINE_SECRET_KEY;

beforeAll(() => {
  process.env.SYNCLINE_SECRET_KEY = randomBytes(32).toString("base64");
  // The fake Shopify, Bol.com, Amazon and DeepL servers listen on 127.0.0.1, not the providers' hosts.
  process.env.SYNCLINE_ALLOW_CUSTOM_PROVIDER_HOSTS = "true";
});
afterAll(() => {
  if (previousKey === undefined) delete process.env.SYNCLINE_SECRET_KEY;
  else process.env.SYNCLINE_SECRET_KEY = previousKey;
  delete process.env.SYNCLINE_ALLOW_CUSTOM_PROVIDER_HOSTS;
});
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function started<T extends { start: () => Promise<unknown>; stop: () => Promise<void> }>(server: T): Promise<T> {
  await server.start();
  servers.push(server);
  return server;
}

const SKUS = ["SKU-A", "SKU-B", "SKU-C"];
const EANS: Record<string, string> = { "SKU-A": "8712345678901", "SKU-B": "8712345678902", "SKU-C": "8712345678903" };

function event(type: string, subject: string, data: Record<string, unknown>, id = `${type}-${subject}-${randomUUID().slice(0, 8)}`) {
  return { specversion: "1.0", id, source: "test/erp", type, subject, data };
}

async function publishAll(events: unknown[]) {
  const results = await fixture!.publish(events);
  expect(results.every((r) => r.status === "accepted")).toBe(true);
}

/** Waits for the channel (or system) to be seen as down and an update to be held for it. */
async function waitForHolding(channelId?: string) {
  const prisma = fixture!.database.prisma;
  await waitUntil(async () => (await prisma.heldEvent.count()) > 0, 30_000, "an update held for the offline system");
  if (channelId) {
    await waitUntil(async () => (await prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).downSince !== null, 30_000, "the channel marked down");
  }
}

/** Every run recorded as succeeded, none left held, nothing dead-lettered. */
async function expectAllRunsSucceeded(runCount: number) {
  const prisma = fixture!.database.prisma;
  await waitUntil(
    async () => (await prisma.run.count({ where: { status: "succeeded" } })) === runCount,
    30_000,
    `${runCount} succeeded runs`,
    async () => ({ runs: await prisma.run.groupBy({ by: ["status"], _count: true }), deadLetters: await prisma.deadLetter.findMany({ select: { nodeId: true, error: true } }) }),
  );
  expect(await prisma.run.groupBy({ by: ["status"], _count: true })).toEqual([{ status: "succeeded", _count: runCount }]);
  expect(await prisma.deadLetter.count()).toBe(0);
  await waitUntil(async () => (await prisma.heldEvent.count()) === 0, 10_000, "held queues drained");
}

describe("seed flow templates end to end", () => {
  it("out-of-stock-everywhere: marks every SKU out of stock on five channels while bol.com goes offline and back", async () => {
    fixture = await startRuntimeFixture({ partitions: 4 });
    const db = fixture.database.prisma;

    const shopify = await started(new FakeShopify("shpat_t", "2025-07"));
    const amazon = await started(new FakeAmazon({ clientId: "amzn-client", clientSecret: "amzn-secret", refreshToken: "Atzr|refresh" }, "A2SELLER", "A1PA6795UKMFR9"));
    const bol = await started(new FakeBolCom("bol-client", "bol-secret"));
    const zalando = await started(new FakeWebhookReceiver("zalando-signing"));
    const google = await started(new FakeWebhookReceiver("google-signing"));
    for (const sku of SKUS) {
      shopify.addProduct({ sku, title: `Product ${sku}`, price: "20.00", quantity: 10 });
      amazon.addListing({ sku, price: 20, currency: "EUR", quantity: 10 });
      bol.addOffer({ offerId: `offer-${sku}`, ean: EANS[sku]!, reference: sku, unitPrice: 20, amount: 10 });
    }

    const channels = {
      webshop: await createTestChannel(db, { name: "Webshop", type: "shopify", credentialType: "shopify", secret: { accessToken: "shpat_t" }, settings: { baseUrl: shopify.baseUrl, apiVersion: "2025-07" } }),
      amazon: await createTestChannel(db, {
        name: "Amazon", type: "amazon", credentialType: "amazon-sp",
        secret: { clientId: "amzn-client", clientSecret: "amzn-secret", refreshToken: "Atzr|refresh" },
        settings: { baseUrl: amazon.baseUrl, authUrl: `${amazon.baseUrl}/auth/o2/token`, marketplaceId: "A1PA6795UKMFR9", sellerId: "A2SELLER", currency: "EUR" },
      }),
      bol_com: await createTestChannel(db, { name: "Bol.com", type: "bolcom", credentialType: "bolcom", secret: { clientId: "bol-client", clientSecret: "bol-secret" }, settings: { baseUrl: `${bol.baseUrl}/retailer`, authUrl: `${bol.baseUrl}/token` } }),
      zalando: await createTestChannel(db, { name: "Zalando", type: "webhook", credentialType: "webhook", secret: { signingSecret: "zalando-signing" }, settings: { url: `${zalando.baseUrl}/hooks/syncline` } }),
      google_shopping: await createTestChannel(db, { name: "Google Shopping", type: "webhook", credentialType: "webhook", secret: { signingSecret: "google-signing" }, settings: { url: `${google.baseUrl}/hooks/syncline` } }),
    };
    const flowId = await fixture.deployFlow(templateDocument("out-of-stock-everywhere", { channels }));
    await fixture.startWorkerInProcess();

    // Per SKU: 5, 0 while everything is up; 3, -1, 0 while bol.com is down. Only quantities <= 0
    // mark the product out of stock (the template's condition).
    const quantities = [5, 0, 3, -1, 0];
    const events = new Map(SKUS.map((sku) => [sku, quantities.map((quantity, i) => event("stock.changed", sku, { sku, quantity }, `stock-${sku}-${i + 1}`))]));
    const batch = (from: number, to: number) => [...events.values()].flatMap((list) => list.slice(from, to)).sort((a, b) => a.id.localeCompare(b.id));
    const soldOutIds = (sku: string) => events.get(sku)!.filter((e) => (e.data.quantity as number) <= 0).map((e) => e.id);

    await publishAll(batch(0, 2));
    await waitUntil(() => SKUS.every((sku) => bol.offers.get(`offer-${sku}`)!.amount === 0) && google.deliveries.length === SKUS.length, 30_000, "first marks");
    // Back in stock on bol.com by hand, so that the held marks must arrive to end out of stock again.
    for (const sku of SKUS) bol.offers.get(`offer-${sku}`)!.amount = 7;
    const bolRequestsBefore = bol.requests.length;

    await bol.stop();
    await publishAll(batch(2, 5));
    await waitForHolding(channels.bol_com);
    // The flow holds each SKU's later updates behind the one bol.com has not taken yet (docs/guarantees.md §2).
    await bol.start();

    await waitUntil(() => SKUS.every((sku) => zalando.deliveries.filter((d) => d.sku === sku).length === 3 && bol.offers.get(`offer-${sku}`)!.amount === 0), 60_000, "every mark after recovery");
    await expectAllRunsSucceeded(SKUS.length * quantities.length);

    for (const sku of SKUS) {
      expect(shopify.quantityOf(sku)).toBe(0);
      expect(amazon.listings.get(sku)!.quantity).toBe(0);
      expect(bol.offers.get(`offer-${sku}`)!.amount).toBe(0);
      expect(zalando.products.get(sku)).toMatchObject({ sku, quantity: 0 });
      expect(google.products.get(sku)).toMatchObject({ sku, quantity: 0 });
      // Webhooks: exactly the sold-out events, in publish order.
      expect(zalando.deliveries.filter((d) => d.sku === sku).map((d) => eventIdOf(d.idempotencyKey))).toEqual(soldOutIds(sku));
      expect(google.deliveries.filter((d) => d.sku === sku).map((d) => eventIdOf(d.idempotencyKey))).toEqual(soldOutIds(sku));
      expect(zalando.deliveries.every((d) => d.operation === "mark-out-of-stock" && d.idempotencyKey.includes(flowId))).toBe(true);
    }
    // bol.com took the held marks after recovery: its offers, put back in stock meanwhile, were set
    // to 0 (a second mark finds 0 already and changes nothing).
    const heldStockPuts = bol.requests.slice(bolRequestsBefore).filter((r) => r.method === "PUT" && r.path.endsWith("/stock"));
    for (const sku of SKUS) {
      const amounts = heldStockPuts.filter((r) => r.path === `/retailer/offers/offer-${sku}/stock`).map((r) => (r.json as { amount: number }).amount);
      expect(amounts.length).toBeGreaterThanOrEqual(1);
      expect(new Set(amounts)).toEqual(new Set([0]));
    }
    const health = await db.channel.findUniqueOrThrow({ where: { id: channels.bol_com } });
    expect(health.downSince).toBeNull();
    expect(health.lastSuccessAt!.getTime()).toBeGreaterThan(health.lastErrorAt!.getTime());
  }, 120_000);

  it("discounts-everywhere: prices 10 → 12 → 9 reach every store, Amazon going offline and back in between", async () => {
    fixture = await startRuntimeFixture({ partitions: 4 });
    const db = fixture.database.prisma;

    const woo = await started(new FakeWooCommerce("ck_t", "cs_t"));
    const amazon = await started(new FakeAmazon({ clientId: "amzn-client", clientSecret: "amzn-secret", refreshToken: "Atzr|refresh" }, "A2SELLER", "A1PA6795UKMFR9"));
    const bol = await started(new FakeBolCom("bol-client", "bol-secret"));
    const zalando = await started(new FakeWebhookReceiver("zalando-signing"));
    for (const sku of SKUS) {
      woo.addProduct({ sku, name: `Product ${sku}`, regular_price: "15.00", manage_stock: true, stock_quantity: 4 });
      amazon.addListing({ sku, price: 15, currency: "EUR", quantity: 4 });
      bol.addOffer({ offerId: `offer-${sku}`, ean: EANS[sku]!, reference: sku, unitPrice: 15, amount: 4 });
    }
    const channels = {
      webshop: await createTestChannel(db, { name: "Webshop", type: "woocommerce", credentialType: "woocommerce", secret: { consumerKey: "ck_t", consumerSecret: "cs_t" }, settings: { baseUrl: woo.baseUrl } }),
      amazon: await createTestChannel(db, {
        name: "Amazon", type: "amazon", credentialType: "amazon-sp",
        secret: { clientId: "amzn-client", clientSecret: "amzn-secret", refreshToken: "Atzr|refresh" },
        settings: { baseUrl: amazon.baseUrl, authUrl: `${amazon.baseUrl}/auth/o2/token`, marketplaceId: "A1PA6795UKMFR9", sellerId: "A2SELLER" },
      }),
      bol_com: await createTestChannel(db, { name: "Bol.com", type: "bolcom", credentialType: "bolcom", secret: { clientId: "bol-client", clientSecret: "bol-secret" }, settings: { baseUrl: `${bol.baseUrl}/retailer`, authUrl: `${bol.baseUrl}/token` } }),
      zalando: await createTestChannel(db, { name: "Zalando", type: "webhook", credentialType: "webhook", secret: { signingSecret: "zalando-signing" }, settings: { url: `${zalando.baseUrl}/hooks/syncline` } }),
    };
    await fixture.deployFlow(templateDocument("discounts-everywhere", { channels }));
    await fixture.startWorkerInProcess();

    const prices = [10, 12, 9];
    const priceEvents = (index: number) => SKUS.map((sku) => event("price.changed", sku, { sku, price: prices[index]!, previousPrice: index === 0 ? 15 : prices[index - 1]!, currency: "EUR" }, `price-${sku}-${index + 1}`));
    const amazonPrices = (sku: string) =>
      amazon.requests
        .filter((r) => r.method === "PATCH" && decodeURIComponent(r.path).endsWith(`/${sku}`))
        .map((r) => (r.json as { patches: { value: { our_price: { schedule: { value_with_tax: number }[] }[] }[] }[] }).patches[0]!.value[0]!.our_price[0]!.schedule[0]!.value_with_tax);

    await publishAll(priceEvents(0));
    await waitUntil(() => SKUS.every((sku) => amazon.listings.get(sku)!.price === 10), 30_000, "first prices on Amazon");

    await amazon.stop();
    await publishAll([...priceEvents(1), ...priceEvents(2)]);
    await waitForHolding(channels.amazon);
    expect(SKUS.map((sku) => amazon.listings.get(sku)!.price)).toEqual([10, 10, 10]);
    await amazon.start();

    await waitUntil(() => SKUS.every((sku) => amazon.listings.get(sku)!.price === 9), 60_000, "Amazon after recovery");
    await expectAllRunsSucceeded(SKUS.length * prices.length);

    for (const sku of SKUS) {
      expect(Number(woo.bySku(sku)!.regular_price)).toBe(9);
      expect(amazon.listings.get(sku)).toMatchObject({ price: 9, currency: "EUR", quantity: 4 });
      expect(bol.offers.get(`offer-${sku}`)).toMatchObject({ unitPrice: 9, amount: 4 });
      expect(zalando.products.get(sku)).toMatchObject({ sku, price: 9, currency: "EUR" });
      // In publish order on the channel that was offline, and on the others.
      expect(withoutRepeats(amazonPrices(sku))).toEqual(prices);
      expect(zalando.deliveries.filter((d) => d.sku === sku).map((d) => eventIdOf(d.idempotencyKey))).toEqual([1, 2, 3].map((n) => `price-${sku}-${n}`));
      const bolPrices = bol.requests
        .filter((r) => r.method === "PUT" && r.path === `/retailer/offers/offer-${sku}/price`)
        .map((r) => (r.json as { pricing: { bundlePrices: { unitPrice: number }[] } }).pricing.bundlePrices[0]!.unitPrice);
      expect(withoutRepeats(bolPrices)).toEqual(prices);
    }
    // The discount step's work is in every run: 12 → 9 is 25 % off, with 12 as the compare-at price.
    const last = await db.run.findFirstOrThrow({ where: { eventId: "price-SKU-A-3" } });
    const discount = (last.steps as { nodeId: string; output: unknown }[]).find((s) => s.nodeId === "discount");
    expect(discount?.output).toEqual({ price: 9, compareAtPrice: 12, discountPercent: 25 });
  }, 120_000);

  it("order-fulfilment: every order reaches the CRM, shipping and the ERP, shipping going offline and back", async () => {
    fixture = await startRuntimeFixture({ partitions: 4 });
    const crm = await started(new FakeHttpService());
    const shipping = await started(new FakeHttpService());
    const erp = await started(new FakeHttpService());
    const flowId = await fixture.deployFlow(
      templateDocument("order-fulfilment", {
        origins: { "https://crm.example.com": crm.baseUrl, "https://shipping.example.com": shipping.baseUrl, "https://erp.example.com": erp.baseUrl },
      }),
    );
    await fixture.startWorkerInProcess();

    // Orders keyed by customer: each customer's orders must be handled in the order placed.
    const customers = ["C-1", "C-2"];
    const order = (customer: string, n: number) =>
      event(
        "order.placed",
        customer,
        {
          orderId: `${customer}-ORD-${n}`,
          lines: [
            { sku: SKUS[n % SKUS.length]!, quantity: n, price: 10 },
            { sku: SKUS[(n + 1) % SKUS.length]!, quantity: 1, price: 2.5 },
          ],
          currency: "EUR",
          customer: { id: customer, name: `Customer ${customer}` },
        },
        `order-${customer}-${n}`,
      );
    const orders = customers.flatMap((c) => [1, 2, 3, 4].map((n) => order(c, n)));

    await publishAll(orders.filter((o) => o.id.endsWith("-1")));
    await waitUntil(() => shipping.applied.length === customers.length, 30_000, "first shipments");
    await shipping.stop();
    await publishAll(orders.filter((o) => !o.id.endsWith("-1")));
    await waitForHolding();
    expect(shipping.applied.length).toBe(customers.length);
    await shipping.start();

    await waitUntil(() => shipping.applied.length === orders.length, 60_000, "every shipment after recovery");
    await expectAllRunsSucceeded(orders.length);

    for (const customer of customers) {
      const expectedIds = [1, 2, 3, 4].map((n) => `${customer}-ORD-${n}`);
      expect(shipping.applied.filter((a) => String(a.body.reference).startsWith(customer)).map((a) => a.body.reference)).toEqual(expectedIds);
      expect(crm.applied.filter((a) => (a.body.customer as { id: string }).id === customer).map((a) => a.body.orderId)).toEqual(expectedIds);
      expect(erp.applied.filter((a) => String(a.body.reference).startsWith(customer)).map((a) => a.body.reference)).toEqual(expectedIds);
    }
    for (const o of orders) {
      const id = o.data.orderId as string;
      const lines = o.data.lines as { sku: string; quantity: number; price: number }[];
      expect(crm.applied.find((a) => a.body.orderId === id)).toMatchObject({
        path: "/api/orders",
        body: { orderId: id, currency: "EUR", customer: o.data.customer, total: lines.reduce((sum, l) => sum + l.quantity * l.price, 0) },
      });
      expect(shipping.applied.find((a) => a.body.reference === id)).toMatchObject({
        path: "/api/shipments",
        body: { reference: id, recipient: `Customer ${o.subject}`, items: lines.map((l) => ({ sku: l.sku, quantity: l.quantity })) },
      });
      expect(erp.applied.find((a) => a.body.reference === id)).toMatchObject({
        path: "/api/inventory/adjustments",
        body: { reference: id, adjustments: lines.map((l) => ({ sku: l.sku, delta: -l.quantity })) },
      });
    }
    // The ERP's inventory moved by exactly the units ordered, each adjustment once.
    const units = (source: { sku: string; quantity: number }[]) => source.reduce<Record<string, number>>((acc, l) => ({ ...acc, [l.sku]: (acc[l.sku] ?? 0) + l.quantity }), {});
    const ordered = units(orders.flatMap((o) => o.data.lines as { sku: string; quantity: number }[]));
    const adjusted = units(erp.applied.flatMap((a) => (a.body.adjustments as { sku: string; delta: number }[]).map((x) => ({ sku: x.sku, quantity: -x.delta }))));
    expect(adjusted).toEqual(ordered);
    expect(shipping.applied.every((a) => a.idempotencyKey.includes(flowId))).toBe(true);
  }, 120_000);

  it("translate-new-products: new SKUs translated into de, fr, nl via DeepL (offline and back) and images resized into the asset store", async () => {
    fixture = await startRuntimeFixture({ partitions: 4 });
    const db = fixture.database.prisma;
    const deepl = await started(createFakeDeepL("deepl-key:fx"));
    const credential = await createCredential(db, { name: "DeepL", type: "deepl", secret: { apiKey: "deepl-key:fx" }, settings: { baseUrl: deepl.url } });

    // Product photos from a local image host.
    const photo = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: { r: 30, g: 90, b: 160 } } }).jpeg().toBuffer();
    const imageHost: Server = createServer((request, response) => {
      if (!request.url?.startsWith("/images/")) return void response.writeHead(404).end();
      response.writeHead(200, { "content-type": "image/jpeg" }).end(photo);
    });
    await new Promise<void>((resolve) => imageHost.listen(0, "127.0.0.1", resolve));
    servers.push({ stop: () => new Promise<void>((resolve) => { imageHost.closeAllConnections(); imageHost.close(() => resolve()); }) });
    const imageOrigin = `http://127.0.0.1:${(imageHost.address() as AddressInfo).port}`;

    await fixture.deployFlow(templateDocument("translate-new-products", { credentials: { deepl: credential.id } }));
    await fixture.startWorkerInProcess();

    const skus = ["NEW-1", "NEW-2", "NEW-3", "NEW-4"];
    const created = (sku: string) =>
      event(
        "product.created",
        sku,
        { sku, name: `Wool sweater ${sku}`, description: `A warm sweater (${sku}).`, price: 49.95, currency: "EUR", images: [`${imageOrigin}/images/${sku}.jpg`], attributes: { color: "navy", material: "wool" } },
        `created-${sku}`,
      );
    await publishAll(skus.slice(0, 2).map(created));
    await waitUntil(async () => (await db.run.count({ where: { status: "succeeded" } })) === 2, 30_000, "the first products");
    const requestsBefore = deepl.requests.length;

    await deepl.stop();
    await publishAll(skus.slice(2).map(created));
    await waitForHolding();
    await deepl.start();
    await expectAllRunsSucceeded(skus.length);
    // The held products' translations were asked for after DeepL came back, once per language.
    const heldRequests = deepl.requests.slice(requestsBefore).map((r) => r.body as { text: string[]; target_lang: string });
    for (const sku of skus.slice(2)) {
      expect(heldRequests.filter((r) => r.text.includes(`Wool sweater ${sku}`)).map((r) => r.target_lang).sort()).toEqual(["DE", "FR", "NL"]);
    }

    const store = (await openAssetStore(fixture.nc, fixture.layout.prefix, { create: false }))!;
    expect(store).not.toBeNull();
    for (const sku of skus) {
      const run = await db.run.findFirstOrThrow({ where: { eventId: `created-${sku}` } });
      const steps = run.steps as { nodeId: string; status: string; output: any }[];
      const translate = steps.find((s) => s.nodeId === "translate")!;
      expect(translate.status).toBe("succeeded");
      for (const language of ["de", "fr", "nl"]) {
        const tag = `[${language.toUpperCase()}]`;
        expect(translate.output.translations[language]).toEqual({
          name: `${tag} Wool sweater ${sku}`,
          description: `${tag} A warm sweater (${sku}).`,
          attributes: { color: `${tag} navy`, material: `${tag} wool` },
        });
      }

      const resize = steps.find((s) => s.nodeId === "resize_images")!;
      expect(resize.status).toBe("succeeded");
      const images = resize.output.images as { source: string; url: string; width: number; height: number; format: string }[];
      expect(images.map((i) => [i.source, i.width, i.height, i.format])).toEqual([400, 800, 1600].map((w) => [`${imageOrigin}/images/${sku}.jpg`, w, w / 2, "webp"]));
      for (const image of images) {
        expect(image.url.startsWith(ASSET_URL_PATH)).toBe(true);
        const key = image.url.slice(ASSET_URL_PATH.length).split("/").map(decodeURIComponent).join("/");
        const stored = await store.getBlob(key);
        expect(stored, `variant ${image.url} is stored`).not.toBeNull();
        const meta = await sharp(Buffer.from(stored!)).metadata();
        expect([meta.format, meta.width, meta.height]).toEqual(["webp", image.width, image.height]);
      }
    }
  }, 120_000);
});
