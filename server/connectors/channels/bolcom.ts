import "server-only";
import { PermanentError } from "@/server/outbound/execution-errors";
import { channelErrorFor, httpUrl, joinUrl, platformCall, platformSend, type PlatformRequest, type PlatformResponse } from "./platform-http";
import { sharedTokenCache, type AccessToken, type TokenCache } from "./token-cache";
import { isObject, type ChannelConnector, type ChannelProduct, type ConnectorTransport, type JsonObject, type SyncOutcome } from "./types";

// Bol.com Retailer API (https://api.bol.com/retailer/public/Retailer-API/).
//   token   POST {authUrl}?grant_type=client_credentials, Basic base64(clientId:clientSecret)
//           → { access_token, expires_in }; cached, refreshed before expiry and after a 401
//   find    GET  /retailer/offers?ean=… (or ?reference=<SKU> when no EAN is known)
//   price   PUT  /retailer/offers/{offerId}/price  { pricing: { bundlePrices: [{ quantity: 1, unitPrice }] } }
//   stock   PUT  /retailer/offers/{offerId}/stock  { amount, managedByRetailer: true }
//   create  POST /retailer/offers                  { ean, condition, reference, pricing, stock, fulfilment }
// Bodies use the versioned media type application/vnd.retailer.<version>+json. Errors are
// problem+json: { title, status, detail, violations: [{ name, reason }] }.

export interface BolComChannelSettings {
  /** https://api.bol.com or https://api.bol.com/retailer */
  baseUrl: string;
  /** https://login.bol.com/token */
  authUrl: string;
  /** Media type version; default v10. */
  apiVersion?: string;
  /** Delivery promise for new offers; default 24uurs-23. */
  deliveryCode?: string;
}

export interface BolComSecret {
  clientId: string;
  clientSecret: string;
}

interface Offer {
  offerId: string;
  unitPrice?: number;
  amount?: number;
}

function bolProblemMessage(body: unknown): string | undefined {
  if (!isObject(body)) return typeof body === "string" && body.trim() ? body.trim() : undefined;
  if (typeof body.error === "string") return typeof body.error_description === "string" ? `${body.error}: ${body.error_description}` : body.error;
  const head = [body.title, body.detail].filter((part): part is string => typeof part === "string" && part !== "").join(": ");
  const violations = Array.isArray(body.violations)
    ? body.violations.map((v) => (isObject(v) ? `${String(v.name)}: ${String(v.reason)}` : String(v))).join("; ")
    : "";
  const text = [head, violations].filter(Boolean).join(" — ");
  return text || undefined;
}

/** The base URL may be the host (https://api.bol.com) or include /retailer, as the Channels page suggests. */
function retailerUrl(base: string, path: string): URL {
  return joinUrl(base.replace(/\/+$/, "").replace(/\/retailer$/, ""), path);
}

export function createBolComConnector(options: { credentialId: string; settings: BolComChannelSettings; secret: BolComSecret; tokens?: TokenCache; now?: () => number }): ChannelConnector {
  const { settings, secret } = options;
  const tokens = options.tokens ?? sharedTokenCache;
  const now = options.now ?? Date.now;
  if (!secret.clientId || !secret.clientSecret) throw new PermanentError("the bol.com channel's credential needs clientId and clientSecret");
  const mediaType = `application/vnd.retailer.${settings.apiVersion ?? "v10"}+json`;
  const tokenKey = `bolcom:${options.credentialId}:${settings.authUrl}`;

  async function fetchToken(transport: ConnectorTransport): Promise<AccessToken> {
    const url = httpUrl(settings.authUrl, "authUrl");
    if (!url.searchParams.has("grant_type")) url.searchParams.set("grant_type", "client_credentials");
    const basic = Buffer.from(`${secret.clientId}:${secret.clientSecret}`).toString("base64");
    const response = await platformCall({ method: "POST", url, headers: { authorization: `Basic ${basic}`, accept: "application/json" } }, transport, bolProblemMessage);
    const body = response.body;
    if (!isObject(body) || typeof body.access_token !== "string") throw new PermanentError("bol.com's token endpoint answered without an access_token");
    const seconds = Number(body.expires_in);
    return { value: body.access_token, expiresAt: now() + (Number.isFinite(seconds) && seconds > 0 ? seconds : 299) * 1_000 };
  }

  /** A Retailer API call with a bearer token; on 401 the token is refreshed and the call made once more. */
  async function call(request: Omit<PlatformRequest, "url"> & { path: string }, transport: ConnectorTransport): Promise<PlatformResponse> {
    const url = retailerUrl(settings.baseUrl, request.path);
    let response: PlatformResponse | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await tokens.get(tokenKey, () => fetchToken(transport));
      response = await platformSend({ ...request, url, headers: { ...request.headers, authorization: `Bearer ${token.value}`, accept: mediaType }, contentType: mediaType }, transport);
      if (response.status !== 401) break;
      tokens.invalidate(tokenKey, token);
    }
    const error = channelErrorFor(response!, request.method, response!.status >= 400 ? bolProblemMessage(response!.body) : undefined);
    if (error) throw error;
    return response!;
  }

  async function findOffer(product: ChannelProduct, transport: ConnectorTransport): Promise<Offer | null> {
    const query = product.ean ? `ean=${encodeURIComponent(product.ean)}` : `reference=${encodeURIComponent(product.sku)}`;
    const response = await call({ method: "GET", path: `/retailer/offers?${query}` }, transport);
    const offers = isObject(response.body) && Array.isArray(response.body.offers) ? response.body.offers : [];
    const match = offers.find((o): o is JsonObject => isObject(o) && typeof o.offerId === "string" && (product.ean ? o.ean === product.ean : o.reference === product.sku));
    if (!match) return null;
    const pricing = isObject(match.pricing) && Array.isArray(match.pricing.bundlePrices) ? match.pricing.bundlePrices : [];
    const single = pricing.find((b) => isObject(b) && b.quantity === 1);
    return {
      offerId: match.offerId as string,
      unitPrice: isObject(single) && typeof single.unitPrice === "number" ? single.unitPrice : undefined,
      amount: isObject(match.stock) && typeof match.stock.amount === "number" ? match.stock.amount : undefined,
    };
  }

  async function requireOffer(product: ChannelProduct, transport: ConnectorTransport): Promise<Offer> {
    const offer = await findOffer(product, transport);
    if (!offer) throw new PermanentError(`bol.com has no offer for ${product.ean ? `EAN ${product.ean}` : `reference (SKU) "${product.sku}"`}`);
    return offer;
  }

  const pricing = (price: number) => ({ bundlePrices: [{ quantity: 1, unitPrice: Math.round(price * 100) / 100 }] });
  // bol.com takes 0…999 units; a backorder (negative) is "none available" there.
  const amountOf = (quantity: number) => Math.min(999, Math.max(0, Math.trunc(quantity)));

  async function setPrice(offer: Offer, price: number, transport: ConnectorTransport): Promise<boolean> {
    if (offer.unitPrice === Math.round(price * 100) / 100) return false;
    await call({ method: "PUT", path: `/retailer/offers/${encodeURIComponent(offer.offerId)}/price`, json: { pricing: pricing(price) } }, transport);
    return true;
  }

  async function setStock(offer: Offer, quantity: number, transport: ConnectorTransport): Promise<boolean> {
    if (offer.amount === amountOf(quantity)) return false;
    await call({ method: "PUT", path: `/retailer/offers/${encodeURIComponent(offer.offerId)}/stock`, json: { amount: amountOf(quantity), managedByRetailer: true } }, transport);
    return true;
  }

  return {
    type: "bolcom",
    async sync(update, transport): Promise<SyncOutcome> {
      const { product } = update;
      switch (update.operation) {
        case "upsert-product": {
          const offer = await findOffer(product, transport);
          if (offer) {
            let changed = false;
            if (product.price !== undefined) changed = (await setPrice(offer, product.price, transport)) || changed;
            if (product.quantity !== undefined) changed = (await setStock(offer, product.quantity, transport)) || changed;
            return { status: changed ? "applied" : "unchanged", externalId: offer.offerId };
          }
          if (!product.ean) throw new PermanentError(`bol.com: a new offer for SKU "${product.sku}" needs its EAN (map a value to "ean")`);
          if (product.price === undefined) throw new PermanentError(`bol.com: a new offer for SKU "${product.sku}" needs a price`);
          const body: JsonObject = {
            ean: product.ean,
            condition: { name: "NEW" },
            reference: product.sku,
            onHoldByRetailer: false,
            ...(product.name ? { unknownProductTitle: product.name.slice(0, 500) } : {}),
            pricing: pricing(product.price),
            stock: { amount: amountOf(product.quantity ?? 0), managedByRetailer: true },
            fulfilment: { method: "FBR", deliveryCode: settings.deliveryCode ?? "24uurs-23" },
          };
          const response = await call({ method: "POST", path: "/retailer/offers", json: body }, transport);
          const entityId = isObject(response.body) && typeof response.body.entityId === "string" ? response.body.entityId : undefined;
          return { status: "applied", ...(entityId ? { externalId: entityId } : {}) };
        }
        case "update-price": {
          if (product.price === undefined) throw new PermanentError("update-price needs a price");
          const offer = await requireOffer(product, transport);
          return { status: (await setPrice(offer, product.price, transport)) ? "applied" : "unchanged", externalId: offer.offerId };
        }
        case "update-stock":
        case "mark-out-of-stock": {
          const quantity = update.operation === "mark-out-of-stock" ? 0 : product.quantity;
          if (quantity === undefined) throw new PermanentError("update-stock needs a quantity");
          const offer = await requireOffer(product, transport);
          return { status: (await setStock(offer, quantity, transport)) ? "applied" : "unchanged", externalId: offer.offerId };
        }
      }
    },
  };
}
