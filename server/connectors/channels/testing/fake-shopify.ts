import { FakePlatformServer, type FakeRequest, type FakeResponse } from "./fake-server";

// Speaks the parts of the Shopify Admin GraphQL API the connector uses, recognising each
// operation by its root field and reading its variables. Keeps products, variants and inventory
// levels; answers throttled queries the way Shopify does (200, errors[].extensions.code THROTTLED).

interface FakeVariant {
  id: string;
  sku: string;
  price: string;
  inventoryItemId: string;
}

interface FakeProduct {
  id: string;
  title: string;
  descriptionHtml: string;
  variants: FakeVariant[];
}

export class FakeShopify extends FakePlatformServer {
  readonly products = new Map<string, FakeProduct>();
  readonly levels = new Map<string, number>();
  readonly locations = ["gid://shopify/Location/1"];
  private nextId = 1;
  private throttled = 0;

  constructor(
    readonly accessToken: string,
    readonly apiVersion = "2025-07",
  ) {
    super();
  }

  addProduct(input: { sku: string; title: string; price: string; quantity?: number }): FakeProduct {
    const n = this.nextId++;
    const product: FakeProduct = {
      id: `gid://shopify/Product/${n}`,
      title: input.title,
      descriptionHtml: "",
      variants: [{ id: `gid://shopify/ProductVariant/${n}`, sku: input.sku, price: input.price, inventoryItemId: `gid://shopify/InventoryItem/${n}` }],
    };
    this.products.set(product.id, product);
    if (input.quantity !== undefined) this.levels.set(`${product.variants[0]!.inventoryItemId}|${this.locations[0]}`, input.quantity);
    return product;
  }

  variantBySku(sku: string): { product: FakeProduct; variant: FakeVariant } | undefined {
    for (const product of this.products.values()) {
      const variant = product.variants.find((v) => v.sku === sku);
      if (variant) return { product, variant };
    }
    return undefined;
  }

  priceOf(sku: string): string | undefined {
    return this.variantBySku(sku)?.variant.price;
  }

  quantityOf(sku: string, location = this.locations[0]!): number | undefined {
    const found = this.variantBySku(sku);
    return found ? this.levels.get(`${found.variant.inventoryItemId}|${location}`) : undefined;
  }

  /** The next `times` queries are throttled. */
  throttle(times = 1): void {
    this.throttled += times;
  }

  protected handle(request: FakeRequest): FakeResponse {
    if (request.method !== "POST" || request.path !== `/admin/api/${this.apiVersion}/graphql.json`) return { status: 404, body: { errors: "Not Found" } };
    if (request.headers["x-shopify-access-token"] !== this.accessToken) {
      return { status: 401, body: { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" } };
    }
    const { query, variables } = request.json as { query: string; variables: Record<string, any> };
    const cost = (available: number) => ({ cost: { requestedQueryCost: 10, actualQueryCost: available >= 10 ? 10 : null, throttleStatus: { maximumAvailable: 2000, currentlyAvailable: available, restoreRate: 100 } } });
    if (this.throttled > 0) {
      this.throttled--;
      return { status: 200, body: { errors: [{ message: "Throttled", extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" } }], extensions: cost(0) } };
    }
    const ok = (data: unknown) => ({ status: 200, body: { data, extensions: cost(1990) } });

    if (query.includes("productVariantsBulkUpdate(")) {
      const product = this.products.get(variables.productId);
      if (!product) return ok({ productVariantsBulkUpdate: { productVariants: null, userErrors: [{ field: ["productId"], message: "Product does not exist" }] } });
      const userErrors: unknown[] = [];
      for (const [i, input] of (variables.variants as { id: string; price: string }[]).entries()) {
        if (!/^\d+(\.\d+)?$/.test(input.price)) userErrors.push({ field: ["variants", String(i), "price"], message: "Price must be greater than or equal to 0" });
      }
      if (userErrors.length) return ok({ productVariantsBulkUpdate: { productVariants: null, userErrors } });
      for (const input of variables.variants as { id: string; price: string }[]) {
        const variant = product.variants.find((v) => v.id === input.id);
        if (variant) variant.price = input.price;
      }
      return ok({ productVariantsBulkUpdate: { productVariants: product.variants.map((v) => ({ id: v.id, price: v.price })), userErrors: [] } });
    }
    if (query.includes("inventorySetQuantities(")) {
      const input = variables.input as { name: string; reason: string; quantities: { inventoryItemId: string; locationId: string; quantity: number }[] };
      const userErrors: unknown[] = [];
      for (const [i, q] of input.quantities.entries()) {
        if (!this.locations.includes(q.locationId)) userErrors.push({ field: ["input", "quantities", String(i), "locationId"], message: "The specified location could not be found.", code: "INVALID_LOCATION" });
      }
      if (userErrors.length) return ok({ inventorySetQuantities: { inventoryAdjustmentGroup: null, userErrors } });
      for (const q of input.quantities) this.levels.set(`${q.inventoryItemId}|${q.locationId}`, q.quantity);
      return ok({ inventorySetQuantities: { inventoryAdjustmentGroup: { reason: input.reason }, userErrors: [] } });
    }
    if (query.includes("productVariants(")) {
      const sku = /^sku:"?(.*?)"?$/.exec(String(variables.query))?.[1] ?? "";
      const nodes = [...this.products.values()].flatMap((p) =>
        p.variants.filter((v) => v.sku === sku).map((v) => ({ id: v.id, sku: v.sku, price: v.price, inventoryItem: { id: v.inventoryItemId }, product: { id: p.id, title: p.title, descriptionHtml: p.descriptionHtml } })),
      );
      return ok({ productVariants: { nodes } });
    }
    if (query.includes("locations(")) return ok({ locations: { nodes: this.locations.map((id) => ({ id })) } });
    if (query.includes("productUpdate(")) {
      const input = variables.product as { id: string; title?: string; descriptionHtml?: string };
      const product = this.products.get(input.id);
      if (!product) return ok({ productUpdate: { product: null, userErrors: [{ field: ["id"], message: "Product does not exist" }] } });
      if (input.title !== undefined && input.title.trim() === "") return ok({ productUpdate: { product: null, userErrors: [{ field: ["title"], message: "Title can't be blank" }] } });
      if (input.title !== undefined) product.title = input.title;
      if (input.descriptionHtml !== undefined) product.descriptionHtml = input.descriptionHtml;
      return ok({ productUpdate: { product: { id: product.id }, userErrors: [] } });
    }
    if (query.includes("productSet(")) {
      const input = variables.input as { title: string; descriptionHtml?: string; variants: { inventoryItem: { sku: string }; price?: string }[] };
      const first = input.variants[0]!;
      const product = this.addProduct({ sku: first.inventoryItem.sku, title: input.title, price: first.price ?? "0.00" });
      product.descriptionHtml = input.descriptionHtml ?? "";
      return ok({ productSet: { product: { id: product.id }, userErrors: [] } });
    }
    return { status: 200, body: { errors: [{ message: "Field 'unknown' doesn't exist", extensions: { code: "undefinedField" } }] } };
  }
}
