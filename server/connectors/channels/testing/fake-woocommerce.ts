import { basicAuth, FakePlatformServer, type FakeRequest, type FakeResponse } from "./fake-server";

// Speaks the WooCommerce REST API v3 products endpoints: list by SKU, update, create; consumer
// key and secret as Basic auth; errors as { code, message, data: { status } }.

export interface FakeWooProduct {
  id: number;
  name: string;
  type: string;
  sku: string;
  description: string;
  regular_price: string;
  manage_stock: boolean;
  stock_quantity: number | null;
  stock_status: string;
}

const error = (status: number, code: string, message: string, extra: Record<string, unknown> = {}): FakeResponse => ({ status, body: { code, message, data: { status, ...extra } } });

export class FakeWooCommerce extends FakePlatformServer {
  readonly products = new Map<number, FakeWooProduct>();
  private nextId = 100;

  constructor(
    readonly consumerKey: string,
    readonly consumerSecret: string,
  ) {
    super();
  }

  addProduct(input: Partial<FakeWooProduct> & { sku: string; name: string }): FakeWooProduct {
    const product: FakeWooProduct = { id: this.nextId++, type: "simple", description: "", regular_price: "", manage_stock: false, stock_quantity: null, stock_status: "instock", ...input };
    this.products.set(product.id, product);
    return product;
  }

  bySku(sku: string): FakeWooProduct | undefined {
    return [...this.products.values()].find((p) => p.sku === sku);
  }

  private validate(body: Record<string, unknown>): FakeResponse | null {
    if (body.regular_price !== undefined && (typeof body.regular_price !== "string" || !/^\d+(\.\d+)?$/.test(body.regular_price))) {
      return error(400, "rest_invalid_param", "Invalid parameter(s): regular_price", { params: { regular_price: "regular_price is not of type string." } });
    }
    if (body.stock_quantity !== undefined && !Number.isInteger(body.stock_quantity)) {
      return error(400, "rest_invalid_param", "Invalid parameter(s): stock_quantity", { params: { stock_quantity: "stock_quantity is not of type integer." } });
    }
    if (body.stock_status !== undefined && !["instock", "outofstock", "onbackorder"].includes(String(body.stock_status))) {
      return error(400, "rest_invalid_param", "Invalid parameter(s): stock_status", { params: { stock_status: "stock_status is not one of instock, outofstock, and onbackorder." } });
    }
    return null;
  }

  protected handle(request: FakeRequest): FakeResponse {
    const auth = basicAuth(request.headers);
    if (!auth || auth.user !== this.consumerKey || auth.password !== this.consumerSecret) return error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.");
    if (request.path === "/wp-json/wc/v3/products" && request.method === "GET") {
      const sku = request.url.searchParams.get("sku");
      return { status: 200, body: [...this.products.values()].filter((p) => sku === null || p.sku === sku) };
    }
    if (request.path === "/wp-json/wc/v3/products" && request.method === "POST") {
      const body = request.json as Record<string, unknown>;
      const invalid = this.validate(body);
      if (invalid) return invalid;
      if (typeof body.sku === "string" && this.bySku(body.sku)) return error(400, "product_invalid_sku", "Invalid or duplicated SKU.");
      const product = this.addProduct({ ...(body as Partial<FakeWooProduct>), sku: String(body.sku), name: String(body.name) });
      return { status: 201, body: product };
    }
    const match = /^\/wp-json\/wc\/v3\/products\/(\d+)$/.exec(request.path);
    if (match && request.method === "PUT") {
      const product = this.products.get(Number(match[1]));
      if (!product) return error(404, "woocommerce_rest_product_invalid_id", "Invalid ID.");
      const body = request.json as Record<string, unknown>;
      const invalid = this.validate(body);
      if (invalid) return invalid;
      Object.assign(product, body);
      return { status: 200, body: product };
    }
    return error(404, "rest_no_route", "No route was found matching the URL and request method.");
  }
}
