import { FakePlatformServer, type FakeRequest, type FakeResponse } from "./fake-server";

// Speaks Login with Amazon (refresh-token grant) and the SP-API Listings Items 2021-08-01 PATCH
// the connector uses. Keeps each listing's price, quantity and texts; tokens can be expired.

export interface FakeListing {
  sku: string;
  price?: number;
  currency?: string;
  quantity?: number;
  itemName?: string;
  description?: string;
}

interface Patch {
  op: string;
  path: string;
  value: Record<string, unknown>[];
}

export class FakeAmazon extends FakePlatformServer {
  readonly listings = new Map<string, FakeListing>();
  private readonly validTokens = new Set<string>();
  tokensIssued = 0;
  private submissions = 0;

  constructor(
    readonly credentials: { clientId: string; clientSecret: string; refreshToken: string },
    readonly sellerId: string,
    readonly marketplaceId: string,
  ) {
    super();
  }

  addListing(listing: FakeListing): void {
    this.listings.set(listing.sku, { ...listing });
  }

  expireTokens(): void {
    this.validTokens.clear();
  }

  protected handle(request: FakeRequest): FakeResponse {
    if (request.path === "/auth/o2/token" && request.method === "POST") {
      const form = new URLSearchParams(request.body);
      if (form.get("grant_type") !== "refresh_token") return { status: 400, body: { error: "unsupported_grant_type", error_description: "Invalid grant_type" } };
      if (form.get("client_id") !== this.credentials.clientId || form.get("client_secret") !== this.credentials.clientSecret) {
        return { status: 401, body: { error: "invalid_client", error_description: "Client authentication failed" } };
      }
      if (form.get("refresh_token") !== this.credentials.refreshToken) return { status: 400, body: { error: "invalid_grant", error_description: "The request has an invalid grant parameter : refresh_token" } };
      const token = `Atza|token-${++this.tokensIssued}`;
      this.validTokens.add(token);
      return { status: 200, body: { access_token: token, refresh_token: this.credentials.refreshToken, token_type: "bearer", expires_in: 3600 } };
    }
    const match = /^\/listings\/2021-08-01\/items\/([^/]+)\/([^/]+)$/.exec(request.path);
    if (!match || request.method !== "PATCH") return { status: 404, body: { errors: [{ code: "NotFound", message: "Resource not found" }] } };
    if (!this.validTokens.has(String(request.headers["x-amz-access-token"] ?? ""))) {
      return { status: 403, body: { errors: [{ code: "Unauthorized", message: "Access to requested resource is denied.", details: "The access token you provided has expired." }] } };
    }
    const [sellerId, sku] = [decodeURIComponent(match[1]!), decodeURIComponent(match[2]!)];
    if (sellerId !== this.sellerId) return { status: 403, body: { errors: [{ code: "Unauthorized", message: "Access to requested resource is denied.", details: "" }] } };
    if (request.url.searchParams.get("marketplaceIds") !== this.marketplaceId) {
      return { status: 400, body: { errors: [{ code: "InvalidInput", message: "Invalid marketplaceIds", details: "" }] } };
    }
    const body = request.json as { productType?: string; patches?: Patch[] };
    if (!body.productType || !Array.isArray(body.patches) || body.patches.length === 0) {
      return { status: 400, body: { errors: [{ code: "InvalidInput", message: "Request has missing or invalid parameters and cannot be parsed.", details: "" }] } };
    }
    const submissionId = `sub-${++this.submissions}`;
    const listing = this.listings.get(sku);
    if (!listing) return { status: 200, body: { sku, status: "INVALID", submissionId, issues: [{ code: "8541", message: `SKU ${sku} does not exist in the catalogue of this seller.`, severity: "ERROR" }] } };
    const issues: unknown[] = [];
    const next = { ...listing };
    for (const patch of body.patches) {
      const value = patch.value[0] ?? {};
      if (patch.path === "/attributes/purchasable_offer") {
        const price = (value.our_price as { schedule: { value_with_tax: number }[] }[] | undefined)?.[0]?.schedule[0]?.value_with_tax;
        if (typeof price !== "number" || price <= 0) issues.push({ code: "90220", message: "'our_price' must be greater than 0.", severity: "ERROR", attributeNames: ["purchasable_offer"] });
        else Object.assign(next, { price, currency: value.currency });
      } else if (patch.path === "/attributes/fulfillment_availability") next.quantity = Number(value.quantity);
      else if (patch.path === "/attributes/item_name") next.itemName = String(value.value);
      else if (patch.path === "/attributes/product_description") next.description = String(value.value);
      else issues.push({ code: "90000", message: `Unknown attribute ${patch.path}`, severity: "ERROR" });
    }
    if (issues.length) return { status: 200, body: { sku, status: "INVALID", submissionId, issues } };
    this.listings.set(sku, next);
    return { status: 200, body: { sku, status: "ACCEPTED", submissionId, issues: [] } };
  }
}
