import "server-only";
import { PermanentError } from "@/server/outbound/execution-errors";
import { channelErrorFor, httpUrl, joinUrl, platformCall, platformSend, type PlatformResponse } from "./platform-http";
import { sharedTokenCache, type AccessToken, type TokenCache } from "./token-cache";
import { isObject, type ChannelConnector, type ChannelProduct, type ConnectorTransport, type JsonObject, type SyncOutcome } from "./types";

// Amazon Selling Partner API, Listings Items 2021-08-01
// (https://developer-docs.amazon.com/sp-api/docs/listings-items-api-v2021-08-01-reference).
//   token  POST {authUrl} (LWA, https://api.amazon.com/auth/o2/token), form-encoded
//          grant_type=refresh_token&refresh_token&client_id&client_secret → { access_token, expires_in }
//   patch  PATCH /listings/2021-08-01/items/{sellerId}/{sku}?marketplaceIds=…
//          { productType, patches: [{ op: "replace", path: "/attributes/purchasable_offer" | …, value }] }
//          with the x-amz-access-token header. The answer says ACCEPTED or INVALID with issues.
// An expired or refused access token (401/403) is exchanged again and the call made once more.

export interface AmazonChannelSettings {
  /** https://sellingpartnerapi-eu.amazon.com */
  baseUrl: string;
  /** https://api.amazon.com/auth/o2/token */
  authUrl: string;
  marketplaceId: string;
  sellerId: string;
  /** The listing's product type; default PRODUCT. */
  productType?: string;
  /** e.g. en-US, de_DE; for name and description patches (sent as en_US). */
  language?: string;
  currency?: string;
}

export interface AmazonSecret {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

function amazonErrorMessage(body: unknown): string | undefined {
  if (!isObject(body)) return typeof body === "string" && body.trim() ? body.trim() : undefined;
  if (typeof body.error === "string") return typeof body.error_description === "string" ? `${body.error}: ${body.error_description}` : body.error;
  const list = Array.isArray(body.errors) ? body.errors : Array.isArray(body.issues) ? body.issues : [];
  const text = list
    .map((e) => {
      if (!isObject(e)) return String(e);
      const detail = typeof e.details === "string" && e.details ? ` (${e.details})` : "";
      return `${typeof e.code === "string" ? `${e.code}: ` : ""}${String(e.message)}${detail}`;
    })
    .join("; ");
  return text || undefined;
}

export function createAmazonConnector(options: { credentialId: string; settings: AmazonChannelSettings; secret: AmazonSecret; tokens?: TokenCache; now?: () => number }): ChannelConnector {
  const { settings, secret } = options;
  const tokens = options.tokens ?? sharedTokenCache;
  const now = options.now ?? Date.now;
  if (!secret.clientId || !secret.clientSecret || !secret.refreshToken) throw new PermanentError("the Amazon channel's credential needs clientId, clientSecret and refreshToken");
  if (!settings.sellerId || !settings.marketplaceId) throw new PermanentError("channel settings: Amazon needs sellerId and marketplaceId");
  const tokenKey = `amazon:${options.credentialId}:${settings.authUrl}`;

  async function fetchToken(transport: ConnectorTransport): Promise<AccessToken> {
    const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: secret.refreshToken, client_id: secret.clientId, client_secret: secret.clientSecret });
    const response = await platformCall(
      { method: "POST", url: httpUrl(settings.authUrl, "authUrl"), rawBody: form.toString(), contentType: "application/x-www-form-urlencoded;charset=UTF-8" },
      transport,
      amazonErrorMessage,
    );
    const body = response.body;
    if (!isObject(body) || typeof body.access_token !== "string") throw new PermanentError("Login with Amazon answered without an access_token");
    const seconds = Number(body.expires_in);
    return { value: body.access_token, expiresAt: now() + (Number.isFinite(seconds) && seconds > 0 ? seconds : 3600) * 1_000 };
  }

  async function patchListing(sku: string, patches: JsonObject[], transport: ConnectorTransport): Promise<SyncOutcome> {
    const url = joinUrl(settings.baseUrl, `/listings/2021-08-01/items/${encodeURIComponent(settings.sellerId)}/${encodeURIComponent(sku)}`);
    url.searchParams.set("marketplaceIds", settings.marketplaceId);
    const body = { productType: settings.productType ?? "PRODUCT", patches };
    let response: PlatformResponse | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await tokens.get(tokenKey, () => fetchToken(transport));
      response = await platformSend({ method: "PATCH", url, headers: { "x-amz-access-token": token.value }, json: body }, transport);
      if (response.status !== 401 && response.status !== 403) break;
      tokens.invalidate(tokenKey, token);
    }
    const error = channelErrorFor(response!, "PATCH", response!.status >= 400 ? amazonErrorMessage(response!.body) : undefined);
    if (error) throw error;
    const answer = response!.body;
    if (isObject(answer) && answer.status === "INVALID") throw new PermanentError(`Amazon refused the listing update for SKU "${sku}": ${amazonErrorMessage(answer) ?? "INVALID"}`);
    return { status: "applied", ...(isObject(answer) && typeof answer.submissionId === "string" ? { externalId: answer.submissionId } : {}) };
  }

  function pricePatch(product: ChannelProduct): JsonObject {
    const currency = product.currency ?? settings.currency;
    if (!currency) throw new PermanentError("Amazon needs a currency for a price: send one with the event or set it on the channel");
    return {
      op: "replace",
      path: "/attributes/purchasable_offer",
      value: [{ marketplace_id: settings.marketplaceId, currency, our_price: [{ schedule: [{ value_with_tax: Math.round(product.price! * 100) / 100 }] }] }],
    };
  }

  function quantityPatch(quantity: number): JsonObject {
    return { op: "replace", path: "/attributes/fulfillment_availability", value: [{ fulfillment_channel_code: "DEFAULT", quantity: Math.max(0, Math.trunc(quantity)) }] };
  }

  function textPatch(attribute: string, value: string): JsonObject {
    return { op: "replace", path: `/attributes/${attribute}`, value: [{ value, language_tag: (settings.language ?? "en_US").replace("-", "_"), marketplace_id: settings.marketplaceId }] };
  }

  return {
    type: "amazon",
    async sync(update, transport): Promise<SyncOutcome> {
      const { product } = update;
      switch (update.operation) {
        case "upsert-product": {
          const patches: JsonObject[] = [];
          if (product.name !== undefined) patches.push(textPatch("item_name", product.name));
          if (product.description !== undefined) patches.push(textPatch("product_description", product.description));
          if (product.price !== undefined) patches.push(pricePatch(product));
          if (product.quantity !== undefined) patches.push(quantityPatch(product.quantity));
          if (patches.length === 0) return { status: "unchanged" };
          return patchListing(product.sku, patches, transport);
        }
        case "update-price":
          if (product.price === undefined) throw new PermanentError("update-price needs a price");
          return patchListing(product.sku, [pricePatch(product)], transport);
        case "update-stock":
          if (product.quantity === undefined) throw new PermanentError("update-stock needs a quantity");
          return patchListing(product.sku, [quantityPatch(product.quantity)], transport);
        case "mark-out-of-stock":
          return patchListing(product.sku, [quantityPatch(0)], transport);
      }
    },
  };
}
