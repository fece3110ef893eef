import "server-only";

// What a sales-channel connector receives and returns. The executor (nodes/sync-channel) turns an
// event into a ChannelUpdate; each connector maps it to its platform's own calls.

export const channelTypes = ["webhook", "shopify", "woocommerce", "bolcom", "amazon"] as const;
export type ChannelType = (typeof channelTypes)[number];

export type SyncOperation = "upsert-product" | "update-price" | "update-stock" | "mark-out-of-stock";

/** Syncline's product / price / stock data for one SKU, after the field mapping. */
export interface ChannelProduct {
  sku: string;
  name?: string;
  description?: string;
  /** Major units, e.g. 19.99. */
  price?: number;
  currency?: string;
  /** Units available (negative: backordered). */
  quantity?: number;
  /** Marketplaces (bol.com) identify products by EAN; falls back to the SKU. */
  ean?: string;
  images?: string[];
  attributes?: Record<string, unknown>;
}

export interface ChannelUpdate {
  operation: SyncOperation;
  product: ChannelProduct;
  /** Stable across retries: sent where the platform accepts one. */
  idempotencyKey: string;
  traceparent?: string;
}

export interface SyncOutcome {
  status: "applied" | "unchanged";
  /** The product's / offer's id on the channel, when known. */
  externalId?: string;
}

/** How connectors reach the network: sendRequest's SSRF policy, deadline and abort signal. */
export interface ConnectorTransport {
  /** SYNCLINE_HTTP_ALLOWLIST entries. */
  allowlist: readonly string[];
  signal?: AbortSignal;
  /** Per call; default 30 s. */
  timeoutMs?: number;
}

export interface ChannelConnector {
  readonly type: ChannelType;
  sync(update: ChannelUpdate, transport: ConnectorTransport): Promise<SyncOutcome>;
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
