import "server-only";
import { createHash } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import type { PrismaClient } from "@/server/db/generated/client";
import { env } from "@/server/env";
import { compileJsonSchema, schemaIssues } from "@/server/events/event-schema-registry";
import { IngestTooLargeError, IngestUnavailableError, IngestValidationError, ingestEvents } from "@/server/events/ingest";
import { systemEventRegistry, TARGET_FLOW_ATTRIBUTE } from "@/server/events/system-events";
import { evaluateKey, KeyExpressionError } from "@/server/expressions/evaluate-key";
import { ApiError, jsonResponse } from "@/server/http-api/api-response";
import { readCredentialSecret } from "@/server/credentials/credential-store";
import type { StreamLayout } from "@/server/runtime/stream-layout";
import { webhookTrigger } from "@/server/nodes/trigger-webhook/definition";
import { checkWebhookAuth } from "./webhook-auth";
import { findWebhookFlows } from "./webhook-flows";
import { readBodyBounded } from "@/server/http-api/bounded-body";

// POST /api/hooks/{path}: a call to a flow's webhook trigger becomes a `webhook.received` event
// for that flow, with the same guarantees as any event (validated, ordered by key, deduplicated,
// answered 202 only after JetStream stored it). A call that fails authentication stores nothing.

export interface WebhookRequestOptions {
  db: PrismaClient;
  nats?: () => Promise<NatsConnection>;
  layout?: StreamLayout;
  maxBytes?: number;
  now?: () => Date;
}

// Never stored with the event: they authenticate the call, and steps have no use for them.
const DROPPED_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);

async function readBody(request: Request, maxBytes: number): Promise<Buffer> {
  return Buffer.from(await readBodyBounded(request, maxBytes));
}

function parseBody(raw: Buffer, contentType: string | null): unknown {
  if (raw.byteLength === 0) return null;
  const mediaType = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  const text = new TextDecoder().decode(raw);
  if (mediaType === "application/json" || mediaType.endsWith("+json") || mediaType === "") {
    try {
      return JSON.parse(text);
    } catch (error) {
      if (mediaType === "") return text;
      throw new ApiError(400, `The body is not valid JSON: ${(error as Error).message}`, [{ path: "body", message: "not valid JSON" }]);
    }
  }
  if (mediaType === "application/x-www-form-urlencoded") return Object.fromEntries(new URLSearchParams(text));
  return text;
}

async function evaluateWebhookKey(label: string, field: string, expression: string, event: unknown): Promise<string> {
  try {
    return await evaluateKey("webhook", label, field, expression, event);
  } catch (error) {
    if (error instanceof KeyExpressionError) throw new ApiError(400, error.message, error.issues);
    throw error;
  }
}

const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");

export async function handleWebhookRequest(request: Request, path: string, options: WebhookRequestOptions): Promise<Response> {
  const flows = await findWebhookFlows(options.db, path);
  const flow = flows.find((f) => f.enabled);
  if (!flow) {
    throw new ApiError(404, flows.length > 0 ? `The flow with the webhook "${path}" is disabled: enable it to accept calls.` : `No published flow has the webhook "${path}".`);
  }
  const config = webhookTrigger.config.parse(flow.trigger.config);
  const raw = await readBody(request, options.maxBytes ?? env().SYNCLINE_MAX_EVENT_BYTES);

  let secret: string | undefined;
  try {
    secret = (await readCredentialSecret(options.db, config.secretCredentialId)).secret.signingSecret;
  } catch {
    secret = undefined;
  }
  if (!secret) throw new ApiError(503, `The webhook "${path}" has no usable secret credential; choose one in the flow and publish again.`);
  const now = options.now?.() ?? new Date();
  const auth = checkWebhookAuth({ authentication: config.authentication, secret, headers: request.headers, body: raw, nowSeconds: Math.floor(now.getTime() / 1000) });
  if (!auth.ok) {
    throw new ApiError(401, auth.reason, undefined, config.authentication === "bearer" ? { "WWW-Authenticate": 'Bearer realm="syncline-webhook"' } : undefined);
  }

  const body = parseBody(raw, request.headers.get("content-type"));
  if (config.bodySchema.trim() !== "") {
    const compiled = compileJsonSchema(JSON.parse(config.bodySchema));
    if (!compiled.ok) throw new ApiError(503, `The webhook "${path}" has a body schema that cannot be used; fix it in the flow.`);
    const issues = schemaIssues(compiled.schema, body, "body");
    if (issues.length > 0) throw new ApiError(400, "The body does not match the webhook's schema; nothing was stored.", issues);
  }

  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) if (!DROPPED_HEADERS.has(name)) headers[name] = value;
  const url = new URL(request.url);
  const data = { method: request.method, path, headers, query: Object.fromEntries(url.searchParams), body };
  const draft = { type: "webhook.received", source: `/api/hooks/${path}`, data };

  const subject = config.orderingKey.trim() ? await evaluateWebhookKey("ordering key", "orderingKey", config.orderingKey, draft) : path;
  const dedup = config.dedupId.trim()
    ? await evaluateWebhookKey("deduplication id", "dedupId", config.dedupId, draft)
    : (request.headers.get("idempotency-key")?.trim() || `sha256-${sha256(raw)}`);
  // Scoped to the flow, so two flows' callers cannot collide; hashed when it would not fit an id.
  const id = `webhook:${flow.flowId}:${dedup.length <= 128 && !/[\r\n]/.test(dedup) ? dedup : sha256(dedup)}`;

  try {
    const [result] = await ingestEvents(
      [{ specversion: "1.0", id, subject, ...draft, time: now.toISOString(), [TARGET_FLOW_ATTRIBUTE]: flow.flowId }],
      { registry: systemEventRegistry, nats: options.nats, layout: options.layout, traceparent: request.headers.get("traceparent"), tracestate: request.headers.get("tracestate"), indexIssues: false, now: () => now },
    );
    return jsonResponse({ id: result!.id, status: result!.status }, 202);
  } catch (error) {
    if (error instanceof IngestValidationError) throw new ApiError(400, "The call cannot be turned into an event.", error.issues);
    if (error instanceof IngestTooLargeError) throw new ApiError(413, error.message, error.issues);
    if (error instanceof IngestUnavailableError) throw new ApiError(503, error.message, undefined, { "Retry-After": String(error.retryAfterSeconds) });
    throw error;
  }
}
