import { basicAuth, FakePlatformServer, type FakeRequest, type FakeResponse } from "./fake-server";

// Speaks the bol.com login (client-credentials token) and the Retailer API offer endpoints the
// connector uses. Tokens can be expired on demand; bodies must use the versioned media type.

export interface FakeBolOffer {
  offerId: string;
  ean: string;
  reference?: string;
  unitPrice: number;
  amount: number;
}

const problem = (status: number, title: string, detail: string, violations?: { name: string; reason: string }[]): FakeResponse => ({
  status,
  headers: { "content-type": "application/vnd.retailer.v10+json" },
  body: { type: "https://api.bol.com/problems", title, status, detail, host: "fake-bol", instance: "/retailer/offers", ...(violations ? { violations } : {}) },
});

export class FakeBolCom extends FakePlatformServer {
  readonly offers = new Map<string, FakeBolOffer>();
  private readonly validTokens = new Set<string>();
  tokensIssued = 0;
  private nextProcess = 1;

  constructor(
    readonly clientId: string,
    readonly clientSecret: string,
    readonly expiresIn = 299,
  ) {
    super();
  }

  addOffer(offer: FakeBolOffer): void {
    this.offers.set(offer.offerId, { ...offer });
  }

  /** Every token issued so far stops working (as after expiry). */
  expireTokens(): void {
    this.validTokens.clear();
  }

  private accepted(eventType: string, entityId: string): FakeResponse {
    return { status: 202, headers: { "content-type": "application/vnd.retailer.v10+json" }, body: { processStatusId: String(this.nextProcess++), entityId, eventType, status: "PENDING" } };
  }

  protected handle(request: FakeRequest): FakeResponse {
    if (request.path === "/token" && request.method === "POST") {
      const auth = basicAuth(request.headers);
      if (request.url.searchParams.get("grant_type") !== "client_credentials") return { status: 400, body: { error: "unsupported_grant_type" } };
      if (!auth || auth.user !== this.clientId || auth.password !== this.clientSecret) return { status: 401, body: { error: "invalid_client", error_description: "Bad client credentials" } };
      const token = `bol-token-${++this.tokensIssued}`;
      this.validTokens.add(token);
      return { status: 200, body: { access_token: token, token_type: "Bearer", expires_in: this.expiresIn, scope: "RETAILER" } };
    }
    if (!request.path.startsWith("/retailer/")) return problem(404, "Not Found", "No such endpoint");
    const bearer = String(request.headers.authorization ?? "").replace(/^Bearer /, "");
    if (!this.validTokens.has(bearer)) return problem(401, "Unauthorized", "Token is expired or invalid");
    if (request.headers.accept !== "application/vnd.retailer.v10+json") return problem(406, "Not Acceptable", "Accept header must be application/vnd.retailer.v10+json");
    if (request.method !== "GET" && request.headers["content-type"] !== "application/vnd.retailer.v10+json") return problem(415, "Unsupported Media Type", "Content-Type must be application/vnd.retailer.v10+json");

    if (request.path === "/retailer/offers" && request.method === "GET") {
      const ean = request.url.searchParams.get("ean");
      const reference = request.url.searchParams.get("reference");
      const offers = [...this.offers.values()].filter((o) => (ean ? o.ean === ean : o.reference === reference));
      return {
        status: 200,
        headers: { "content-type": "application/vnd.retailer.v10+json" },
        body: { offers: offers.map((o) => ({ offerId: o.offerId, ean: o.ean, reference: o.reference, pricing: { bundlePrices: [{ quantity: 1, unitPrice: o.unitPrice }] }, stock: { amount: o.amount, managedByRetailer: true } })) },
      };
    }
    if (request.path === "/retailer/offers" && request.method === "POST") {
      const body = request.json as { ean: string; reference?: string; pricing: { bundlePrices: { unitPrice: number }[] }; stock: { amount: number } };
      if (!/^\d{8,14}$/.test(body.ean)) return problem(400, "Bad Request", "Validation error", [{ name: "ean", reason: "Request contains invalid value(s): 'ean'." }]);
      const offerId = `offer-${this.offers.size + 1}`;
      this.addOffer({ offerId, ean: body.ean, reference: body.reference, unitPrice: body.pricing.bundlePrices[0]!.unitPrice, amount: body.stock.amount });
      return this.accepted("CREATE_OFFER", offerId);
    }
    const match = /^\/retailer\/offers\/([^/]+)\/(price|stock)$/.exec(request.path);
    if (match && request.method === "PUT") {
      const offer = this.offers.get(decodeURIComponent(match[1]!));
      if (!offer) return problem(404, "Not Found", `Offer ${match[1]} not found`);
      if (match[2] === "price") {
        const price = (request.json as { pricing?: { bundlePrices?: { quantity: number; unitPrice: number }[] } }).pricing?.bundlePrices?.[0]?.unitPrice;
        if (typeof price !== "number" || price < 1 || price > 9999) {
          return problem(400, "Bad Request", "Validation error", [{ name: "pricing.bundlePrices[0].unitPrice", reason: "Unit price must be between 1 and 9999." }]);
        }
        offer.unitPrice = price;
        return this.accepted("UPDATE_OFFER_PRICE", offer.offerId);
      }
      const amount = (request.json as { amount?: number }).amount;
      if (typeof amount !== "number" || amount < 0 || amount > 999) return problem(400, "Bad Request", "Validation error", [{ name: "amount", reason: "Amount must be between 0 and 999." }]);
      offer.amount = amount;
      return this.accepted("UPDATE_OFFER_STOCK", offer.offerId);
    }
    return problem(404, "Not Found", "No such endpoint");
  }
}
