import "server-only";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { channelErrorFor, formatPrice, joinUrl, platformSend } from "./platform-http";
import { isObject, type ChannelConnector, type ChannelProduct, type ConnectorTransport, type JsonObject, type SyncOutcome } from "./types";

// Shopify Admin GraphQL API (https://shopify.dev/docs/api/admin-graphql). One endpoint,
// POST {shop}/admin/api/{version}/graphql.json with the X-Shopify-Access-Token header.
//   find by SKU      productVariants(query: "sku:…")
//   price            productVariantsBulkUpdate(productId, variants: [{ id, price }])
//   stock            inventorySetQuantities(input: { name: "available", quantities: [...] })
//   product content  productUpdate(product: { id, title, descriptionHtml }); new SKU: productSet
// Rate limits are cost based: a throttled query answers 200 with errors[].extensions.code
// THROTTLED and extensions.cost.throttleStatus says how fast points come back.

export interface ShopifyChannelSettings {
  /** https://<shop>.myshopify.com */
  baseUrl: string;
  /** e.g. 2025-07 */
  apiVersion: string;
  /** gid://shopify/Location/…; default: the shop's first location. */
  locationId?: string;
}

export interface ShopifySecret {
  accessToken: string;
}

interface Variant {
  id: string;
  sku: string;
  price: string;
  productId: string;
  inventoryItemId: string;
  title?: string;
  descriptionHtml?: string;
}

const FIND_VARIANT = `query SynclineFindVariant($query: String!) {
  productVariants(first: 5, query: $query) {
    nodes { id sku price inventoryItem { id } product { id title descriptionHtml } }
  }
}`;

const UPDATE_PRICE = `mutation SynclineUpdatePrice($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id price }
    userErrors { field message }
  }
}`;

const SET_QUANTITIES = `mutation SynclineSetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { reason }
    userErrors { field message code }
  }
}`;

const FIRST_LOCATION = `query SynclineFirstLocation { locations(first: 1) { nodes { id } } }`;

const UPDATE_PRODUCT = `mutation SynclineUpdateProduct($product: ProductUpdateInput!) {
  productUpdate(product: $product) {
    product { id }
    userErrors { field message }
  }
}`;

const CREATE_PRODUCT = `mutation SynclineCreateProduct($input: ProductSetInput!) {
  productSet(input: $input, synchronous: true) {
    product { id }
    userErrors { field message }
  }
}`;

/** Milliseconds until the bucket holds enough points for the query that was throttled. */
export function shopifyThrottleWaitMs(extensions: unknown): number {
  const cost = isObject(extensions) && isObject(extensions.cost) ? extensions.cost : undefined;
  const status = cost && isObject(cost.throttleStatus) ? cost.throttleStatus : undefined;
  const requested = Number(cost?.requestedQueryCost);
  const available = Number(status?.currentlyAvailable);
  const restoreRate = Number(status?.restoreRate);
  if (!Number.isFinite(requested) || !Number.isFinite(available) || !(restoreRate > 0)) return 1_000;
  return Math.max(1_000, Math.ceil(((requested - available) / restoreRate) * 1_000));
}

function errorMessages(errors: unknown): string {
  if (typeof errors === "string") return errors;
  if (Array.isArray(errors)) return errors.map((e) => (isObject(e) && typeof e.message === "string" ? e.message : JSON.stringify(e))).join("; ");
  if (isObject(errors)) return Object.entries(errors).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : String(v)}`).join("; ");
  return JSON.stringify(errors);
}

function userErrorsOf(payload: unknown): string | null {
  const list = isObject(payload) && Array.isArray(payload.userErrors) ? payload.userErrors : [];
  if (list.length === 0) return null;
  return list
    .map((e) => {
      if (!isObject(e)) return String(e);
      const field = Array.isArray(e.field) ? e.field.join(".") : undefined;
      return field ? `${field}: ${String(e.message)}` : String(e.message);
    })
    .join("; ");
}

export function createShopifyConnector(options: { settings: ShopifyChannelSettings; secret: ShopifySecret }): ChannelConnector {
  const { settings, secret } = options;
  if (!secret.accessToken) throw new PermanentError("the Shopify channel's credential has no accessToken");
  if (!settings.apiVersion) throw new PermanentError("channel settings: Shopify needs an apiVersion, e.g. 2025-07");
  const endpoint = joinUrl(settings.baseUrl, `/admin/api/${encodeURIComponent(settings.apiVersion)}/graphql.json`);
  let locationId = settings.locationId;

  async function graphql(query: string, variables: JsonObject, transport: ConnectorTransport): Promise<JsonObject> {
    const response = await platformSend({ method: "POST", url: endpoint, headers: { "x-shopify-access-token": secret.accessToken }, json: { query, variables } }, transport);
    const body = response.body;
    if (response.status >= 400) {
      const message = isObject(body) && body.errors !== undefined ? errorMessages(body.errors) : undefined;
      const error = channelErrorFor(response, "POST", message);
      if (error) throw error;
    }
    if (!isObject(body)) throw new TransientError(`Shopify answered ${response.status} without a GraphQL response`, { systemDown: true });
    if (body.errors !== undefined && (!Array.isArray(body.errors) || body.errors.length > 0)) {
      const throttled = Array.isArray(body.errors) && body.errors.some((e) => isObject(e) && isObject(e.extensions) && e.extensions.code === "THROTTLED");
      const message = `Shopify: ${errorMessages(body.errors)}`;
      if (throttled) throw new TransientError(message, { systemDown: true, retryAfterMs: shopifyThrottleWaitMs(body.extensions) });
      throw new PermanentError(message);
    }
    if (!isObject(body.data)) throw new PermanentError("Shopify answered without data");
    return body.data;
  }

  async function findVariant(sku: string, transport: ConnectorTransport): Promise<Variant | null> {
    const data = await graphql(FIND_VARIANT, { query: `sku:${JSON.stringify(sku)}` }, transport);
    const nodes = isObject(data.productVariants) && Array.isArray(data.productVariants.nodes) ? data.productVariants.nodes : [];
    // Search is by token; only an exact SKU match is the product.
    for (const node of nodes) {
      if (!isObject(node) || node.sku !== sku) continue;
      const product = isObject(node.product) ? node.product : {};
      const item = isObject(node.inventoryItem) ? node.inventoryItem : {};
      return {
        id: String(node.id),
        sku,
        price: String(node.price),
        productId: String(product.id),
        inventoryItemId: String(item.id),
        title: typeof product.title === "string" ? product.title : undefined,
        descriptionHtml: typeof product.descriptionHtml === "string" ? product.descriptionHtml : undefined,
      };
    }
    return null;
  }

  async function requireVariant(sku: string, transport: ConnectorTransport): Promise<Variant> {
    const variant = await findVariant(sku, transport);
    if (!variant) throw new PermanentError(`Shopify has no product variant with SKU "${sku}"`);
    return variant;
  }

  async function setPrice(variant: Variant, price: number, transport: ConnectorTransport): Promise<boolean> {
    if (Number(variant.price) === Number(formatPrice(price))) return false;
    const data = await graphql(UPDATE_PRICE, { productId: variant.productId, variants: [{ id: variant.id, price: formatPrice(price) }] }, transport);
    const problem = userErrorsOf(data.productVariantsBulkUpdate);
    if (problem) throw new PermanentError(`Shopify refused the price: ${problem}`);
    return true;
  }

  async function setQuantity(variant: Variant, quantity: number, idempotencyKey: string, transport: ConnectorTransport): Promise<void> {
    if (!locationId) {
      const data = await graphql(FIRST_LOCATION, {}, transport);
      const first = isObject(data.locations) && Array.isArray(data.locations.nodes) ? data.locations.nodes[0] : undefined;
      if (!isObject(first) || typeof first.id !== "string") throw new PermanentError("Shopify: the shop has no location to keep stock in; set locationId on the channel");
      locationId = first.id;
    }
    const input = {
      name: "available",
      reason: "correction",
      ignoreCompareQuantity: true,
      referenceDocumentUri: `syncline://update/${encodeURIComponent(idempotencyKey)}`,
      quantities: [{ inventoryItemId: variant.inventoryItemId, locationId, quantity }],
    };
    const data = await graphql(SET_QUANTITIES, { input }, transport);
    const problem = userErrorsOf(data.inventorySetQuantities);
    if (problem) throw new PermanentError(`Shopify refused the stock level: ${problem}`);
  }

  async function upsert(product: ChannelProduct, idempotencyKey: string, transport: ConnectorTransport): Promise<SyncOutcome> {
    const variant = await findVariant(product.sku, transport);
    if (!variant) {
      if (!product.name) throw new PermanentError(`Shopify: SKU "${product.sku}" is new and a new product needs a name`);
      const input: JsonObject = {
        title: product.name,
        ...(product.description !== undefined ? { descriptionHtml: product.description } : {}),
        productOptions: [{ name: "Title", values: [{ name: "Default Title" }] }],
        variants: [
          {
            optionValues: [{ optionName: "Title", name: "Default Title" }],
            inventoryItem: { sku: product.sku },
            ...(product.price !== undefined ? { price: formatPrice(product.price) } : {}),
          },
        ],
      };
      const data = await graphql(CREATE_PRODUCT, { input }, transport);
      const problem = userErrorsOf(data.productSet);
      if (problem) throw new PermanentError(`Shopify refused the product: ${problem}`);
      const created = isObject(data.productSet) && isObject(data.productSet.product) ? String(data.productSet.product.id) : undefined;
      const fresh = product.quantity !== undefined ? await findVariant(product.sku, transport) : null;
      if (fresh && product.quantity !== undefined) await setQuantity(fresh, product.quantity, idempotencyKey, transport);
      return { status: "applied", ...(created ? { externalId: created } : {}) };
    }
    let changed = false;
    const patch: JsonObject = { id: variant.productId };
    if (product.name !== undefined && product.name !== variant.title) patch.title = product.name;
    if (product.description !== undefined && product.description !== variant.descriptionHtml) patch.descriptionHtml = product.description;
    if (Object.keys(patch).length > 1) {
      const data = await graphql(UPDATE_PRODUCT, { product: patch }, transport);
      const problem = userErrorsOf(data.productUpdate);
      if (problem) throw new PermanentError(`Shopify refused the product: ${problem}`);
      changed = true;
    }
    if (product.price !== undefined) changed = (await setPrice(variant, product.price, transport)) || changed;
    return { status: changed ? "applied" : "unchanged", externalId: variant.productId };
  }

  return {
    type: "shopify",
    async sync(update, transport): Promise<SyncOutcome> {
      const { product } = update;
      switch (update.operation) {
        case "upsert-product":
          return upsert(product, update.idempotencyKey, transport);
        case "update-price": {
          if (product.price === undefined) throw new PermanentError("update-price needs a price");
          const variant = await requireVariant(product.sku, transport);
          const changed = await setPrice(variant, product.price, transport);
          return { status: changed ? "applied" : "unchanged", externalId: variant.productId };
        }
        case "update-stock":
        case "mark-out-of-stock": {
          const quantity = update.operation === "mark-out-of-stock" ? 0 : product.quantity;
          if (quantity === undefined) throw new PermanentError("update-stock needs a quantity");
          const variant = await requireVariant(product.sku, transport);
          await setQuantity(variant, quantity, update.idempotencyKey, transport);
          return { status: "applied", externalId: variant.productId };
        }
      }
    },
  };
}
