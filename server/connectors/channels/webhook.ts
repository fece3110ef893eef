import "server-only";
import { createHmac } from "node:crypto";
import { PermanentError } from "@/server/outbound/execution-errors";
import { platformCall } from "./platform-http";
import { isObject, type ChannelConnector, type SyncOutcome } from "./types";

// Generic webhook channel: one JSON POST per update, signed so the receiver can check it came
// from this Syncline: `X-Syncline-Signature: sha256=<hex HMAC-SHA256 of the exact body>`. The
// Idempotency-Key header is stable across retries, so the receiver can drop repeats.

export interface WebhookChannelSettings {
  url: string;
  /** Syncline field → the receiver's field name, applied to `data`. */
  fieldMapping?: Record<string, string>;
}

export interface WebhookSecret {
  signingSecret: string;
}

const SIGNATURE_HEADER = "x-syncline-signature";

export function signWebhookBody(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

function messageOf(body: unknown): string | undefined {
  if (typeof body === "string") return body.trim() || undefined;
  if (isObject(body)) {
    for (const key of ["message", "error", "detail", "title"]) if (typeof body[key] === "string") return body[key];
  }
  return undefined;
}

function renameFields(product: object, mapping: Record<string, string> | undefined): Record<string, unknown> {
  if (!mapping) return { ...product };
  const renamed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(product)) renamed[mapping[key] || key] = value;
  return renamed;
}

export function createWebhookConnector(options: { channelId: string; settings: WebhookChannelSettings; secret: WebhookSecret }): ChannelConnector {
  const { channelId, settings, secret } = options;
  let url: URL;
  try {
    url = new URL(settings.url);
  } catch {
    throw new PermanentError(`channel settings: url "${settings.url}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new PermanentError(`channel settings: url must be http or https, not ${url.protocol}`);
  if (!secret.signingSecret) throw new PermanentError("the webhook channel's credential has no signingSecret");
  return {
    type: "webhook",
    async sync(update, transport): Promise<SyncOutcome> {
      const product = update.operation === "mark-out-of-stock" ? { ...update.product, quantity: 0 } : update.product;
      const body = JSON.stringify({
        operation: update.operation,
        channelId,
        sku: product.sku,
        data: renameFields(product, settings.fieldMapping),
        idempotencyKey: update.idempotencyKey,
        sentAt: new Date().toISOString(),
      });
      const headers: Record<string, string> = {
        "idempotency-key": update.idempotencyKey,
        [SIGNATURE_HEADER]: signWebhookBody(body, secret.signingSecret),
      };
      if (update.traceparent) headers.traceparent = update.traceparent;
      const response = await platformCall({ method: "POST", url, headers, rawBody: body, contentType: "application/json" }, transport, messageOf);
      const answer = response.body;
      const externalId = isObject(answer) && (typeof answer.id === "string" || typeof answer.id === "number") ? String(answer.id) : undefined;
      const unchanged = isObject(answer) && answer.status === "unchanged";
      return { status: unchanged ? "unchanged" : "applied", ...(externalId ? { externalId } : {}) };
    },
  };
}
