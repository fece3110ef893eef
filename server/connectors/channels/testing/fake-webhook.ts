import { createHmac, timingSafeEqual } from "node:crypto";
import { FakePlatformServer, type FakeRequest, type FakeResponse } from "./fake-server";

/** A webhook receiver that checks the signature, drops repeated Idempotency-Keys and keeps the last data per SKU. */
export class FakeWebhookReceiver extends FakePlatformServer {
  readonly products = new Map<string, Record<string, unknown>>();
  readonly deliveries: { operation: string; sku: string; idempotencyKey: string }[] = [];
  private readonly seenKeys = new Set<string>();

  constructor(private readonly signingSecret: string) {
    super();
  }

  protected handle(request: FakeRequest): FakeResponse {
    if (request.method !== "POST" || request.path !== "/hooks/syncline") return { status: 404, body: { message: "no such hook" } };
    const expected = `sha256=${createHmac("sha256", this.signingSecret).update(request.body).digest("hex")}`;
    const given = String(request.headers["x-syncline-signature"] ?? "");
    if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) return { status: 401, body: { message: "signature mismatch" } };
    const key = String(request.headers["idempotency-key"] ?? "");
    if (!key) return { status: 400, body: { message: "Idempotency-Key header is required" } };
    if (this.seenKeys.has(key)) return { status: 200, body: { status: "unchanged" } };
    const payload = request.json as { operation: string; sku: string; data: Record<string, unknown> };
    if (typeof payload.data.price === "number" && payload.data.price <= 0) return { status: 422, body: { message: `price of ${payload.sku} must be positive` } };
    this.seenKeys.add(key);
    this.products.set(payload.sku, { ...this.products.get(payload.sku), ...payload.data });
    this.deliveries.push({ operation: payload.operation, sku: payload.sku, idempotencyKey: key });
    return { status: 200, body: { id: `ext-${payload.sku}`, status: "applied" } };
  }
}
