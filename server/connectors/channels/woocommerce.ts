import "server-only";
import { PermanentError } from "@/server/outbound/execution-errors";
import { formatPrice, joinUrl, platformCall } from "./platform-http";
import { isObject, type ChannelConnector, type ChannelProduct, type ConnectorTransport, type JsonObject, type SyncOutcome } from "./types";

// WooCommerce REST API v3 (https://woocommerce.github.io/woocommerce-rest-api-docs/).
//   find by SKU   GET  /wp-json/wc/v3/products?sku=…
//   update        PUT  /wp-json/wc/v3/products/{id}  { regular_price, stock_quantity, stock_status, … }
//   create        POST /wp-json/wc/v3/products      { name, type: "simple", sku, … }
// Authenticated with the consumer key and secret as HTTP Basic auth. Errors come back as
// { code, message, data: { status } }; the message is the shop's own explanation.

export interface WooCommerceChannelSettings {
  baseUrl: string;
}

export interface WooCommerceSecret {
  consumerKey: string;
  consumerSecret: string;
}

interface WooProduct {
  id: number;
  sku: string;
  name?: string;
  description?: string;
  regular_price?: string;
  stock_quantity?: number | null;
  stock_status?: string;
  manage_stock?: boolean;
}

function messageOf(body: unknown): string | undefined {
  if (isObject(body) && typeof body.message === "string") return typeof body.code === "string" ? `${body.message} (${body.code})` : body.message;
  return undefined;
}

function stockFields(quantity: number): JsonObject {
  return { manage_stock: true, stock_quantity: quantity, stock_status: quantity > 0 ? "instock" : "outofstock" };
}

export function createWooCommerceConnector(options: { settings: WooCommerceChannelSettings; secret: WooCommerceSecret }): ChannelConnector {
  const { settings, secret } = options;
  if (!secret.consumerKey || !secret.consumerSecret) throw new PermanentError("the WooCommerce channel's credential needs consumerKey and consumerSecret");
  const authorization = `Basic ${Buffer.from(`${secret.consumerKey}:${secret.consumerSecret}`).toString("base64")}`;

  function call(method: string, path: string, transport: ConnectorTransport, json?: unknown) {
    return platformCall({ method, url: joinUrl(settings.baseUrl, path), headers: { authorization }, json }, transport, messageOf);
  }

  async function findBySku(sku: string, transport: ConnectorTransport): Promise<WooProduct | null> {
    const response = await call("GET", `/wp-json/wc/v3/products?sku=${encodeURIComponent(sku)}`, transport);
    const list = Array.isArray(response.body) ? response.body : [];
    const match = list.find((p): p is WooProduct => isObject(p) && p.sku === sku && typeof p.id === "number");
    return match ?? null;
  }

  async function requireProduct(sku: string, transport: ConnectorTransport): Promise<WooProduct> {
    const product = await findBySku(sku, transport);
    if (!product) throw new PermanentError(`WooCommerce has no product with SKU "${sku}"`);
    return product;
  }

  /** Only the fields that differ, so a repeat is reported as unchanged and costs no write. */
  function changes(current: WooProduct, wanted: JsonObject): JsonObject {
    const diff: JsonObject = {};
    for (const [key, value] of Object.entries(wanted)) {
      const now = (current as unknown as JsonObject)[key];
      if (key === "regular_price" ? Number(now) !== Number(value) || now === "" : now !== value) diff[key] = value;
    }
    return diff;
  }

  async function update(current: WooProduct, wanted: JsonObject, transport: ConnectorTransport): Promise<SyncOutcome> {
    const diff = changes(current, wanted);
    if (Object.keys(diff).length === 0) return { status: "unchanged", externalId: String(current.id) };
    await call("PUT", `/wp-json/wc/v3/products/${current.id}`, transport, diff);
    return { status: "applied", externalId: String(current.id) };
  }

  function contentFields(product: ChannelProduct): JsonObject {
    const fields: JsonObject = {};
    if (product.name !== undefined) fields.name = product.name;
    if (product.description !== undefined) fields.description = product.description;
    if (product.price !== undefined) fields.regular_price = formatPrice(product.price);
    if (product.quantity !== undefined) Object.assign(fields, stockFields(product.quantity));
    return fields;
  }

  return {
    type: "woocommerce",
    async sync(change, transport): Promise<SyncOutcome> {
      const { product } = change;
      switch (change.operation) {
        case "upsert-product": {
          const current = await findBySku(product.sku, transport);
          if (current) return update(current, contentFields(product), transport);
          if (!product.name) throw new PermanentError(`WooCommerce: SKU "${product.sku}" is new and a new product needs a name`);
          const body: JsonObject = {
            type: "simple",
            sku: product.sku,
            ...contentFields(product),
            ...(product.images?.length ? { images: product.images.map((src) => ({ src })) } : {}),
          };
          const response = await call("POST", "/wp-json/wc/v3/products", transport, body);
          const id = isObject(response.body) ? response.body.id : undefined;
          return { status: "applied", ...(id !== undefined ? { externalId: String(id) } : {}) };
        }
        case "update-price": {
          if (product.price === undefined) throw new PermanentError("update-price needs a price");
          return update(await requireProduct(product.sku, transport), { regular_price: formatPrice(product.price) }, transport);
        }
        case "update-stock": {
          if (product.quantity === undefined) throw new PermanentError("update-stock needs a quantity");
          return update(await requireProduct(product.sku, transport), stockFields(product.quantity), transport);
        }
        case "mark-out-of-stock":
          return update(await requireProduct(product.sku, transport), stockFields(0), transport);
      }
    },
  };
}
