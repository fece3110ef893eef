import "server-only";
import { createHmac, timingSafeEqual } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import * as z from "zod";
import type { PrismaClient } from "@/server/db/generated/client";
import { env } from "@/server/env";
import { readCredentialSecret } from "@/server/credentials/credential-store";
import { IngestUnavailableError } from "@/server/events/ingest";
import { ApiError, jsonResponse } from "@/server/http-api/api-response";
import { readBodyBounded } from "@/server/http-api/bounded-body";
import { getSource, SourceNotFoundError, type Source } from "@/server/sources/source-store";
import { takeInMessage } from "@/server/sources/take-in-message";
import { sendRequest } from "@/server/outbound/outbound-request";
import { AddressRefusedError } from "@/server/outbound/address-policy";
import type { SourceKind } from "@/server/sources/source-kinds";

// Push sources: the broker calls us. POST /api/sources/{id}/eventbridge is an EventBridge API
// destination: its connection authenticates with an API-key header or basic auth, which the
// source's HTTP header credential holds (header name + value; basic auth is `Authorization:
// Basic <base64(user:password)>`). The body is the EventBridge event; it takes the sources' path
// (mapping, ingest, dead letters) and is answered 202 only after the PubAck. 5xx and 429 make
// EventBridge retry; a 4xx sends the event to the rule's own dead-letter queue.

export interface PushOptions {
  db: PrismaClient;
  nats?: () => Promise<NatsConnection>;
  layout?: Parameters<typeof takeInMessage>[2]["layout"];
  maxBytes?: number;
  /** Hosts / CIDRs the validationUrl call may reach although private (SYNCLINE_HTTP_ALLOWLIST by default). */
  allowlist?: string[];
}

const eventBridgeEventSchema = z.looseObject({
  id: z.string({ error: "required: the EventBridge event id" }).min(1).max(500),
  "detail-type": z.string({ error: "required: detail-type" }).min(1).max(500),
  source: z.string({ error: "required: source" }).min(1).max(500),
  detail: z.unknown(),
});

function sameSecret(a: string, b: string): boolean {
  const digest = (value: string) => createHmac("sha256", "syncline-compare").update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

async function pushSource(db: PrismaClient, id: string, kind: SourceKind): Promise<Source> {
  let source: Source;
  try {
    source = await getSource(db, id);
  } catch (error) {
    if (error instanceof SourceNotFoundError) throw new ApiError(404, "No such source.");
    throw error;
  }
  if (source.kind !== kind) throw new ApiError(404, "No such source.");
  if (!source.enabled) throw new ApiError(503, `The source "${source.name}" is paused; enable it in Settings → Sources.`, undefined, { "Retry-After": "60" });
  return source;
}

async function authenticate(db: PrismaClient, source: Source, headers: Headers, query?: URLSearchParams) {
  const credential = source.credentialId ? await readCredentialSecret(db, source.credentialId).catch(() => null) : null;
  const headerName = typeof credential?.settings.headerName === "string" && credential.settings.headerName.trim() ? credential.settings.headerName.trim() : "authorization";
  const expected = credential?.secret.headerValue;
  if (!expected) throw new ApiError(503, `The source "${source.name}" has no usable credential; choose one in Settings → Sources.`);
  const sent = headers.get(headerName) ?? query?.get("secret");
  if (!sent || !sameSecret(sent.trim(), expected)) {
    throw new ApiError(401, query ? `Send the source's secret as ?secret=… in the endpoint URL or as the ${headerName} delivery header.` : `Send the source's ${headerName} header (the API destination connection's API key or basic auth).`);
  }
}

export async function handleEventBridgeRequest(request: Request, sourceId: string, options: PushOptions): Promise<Response> {
  const source = await pushSource(options.db, sourceId, "eventbridge");
  await authenticate(options.db, source, request.headers);
  const raw = Buffer.from(await readBodyBounded(request, options.maxBytes ?? env().SYNCLINE_MAX_EVENT_BYTES));
  let body: unknown;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch (error) {
    throw new ApiError(400, `The body is not valid JSON: ${(error as Error).message}`, [{ path: "body", message: "not valid JSON" }]);
  }
  const envelope = eventBridgeEventSchema.safeParse(body);
  if (!envelope.success) {
    throw new ApiError(400, "The body is not an EventBridge event.", envelope.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })));
  }
  try {
    const outcome = await takeInMessage(source, { body: raw, headers: {}, messageId: envelope.data.id, defaultData: envelope.data.detail }, { db: options.db, nats: options.nats, layout: options.layout });
    if (outcome.status === "dead-lettered") {
      throw new ApiError(400, `${outcome.error} It is in Syncline's dead-letter inbox.`, [{ path: "", message: outcome.error }]);
    }
    return jsonResponse({ id: outcome.id, status: outcome.status }, 202);
  } catch (error) {
    if (error instanceof IngestUnavailableError) throw new ApiError(503, error.message, undefined, { "Retry-After": String(error.retryAfterSeconds) });
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Azure Event Grid: POST /api/sources/{id}/eventgrid is a webhook event subscription. The Event
// Grid schema sends arrays of events, first a SubscriptionValidation event (answered with its
// validationCode — or, when the source is set to the manual handshake or the event carries no
// code, by a GET on its validationUrl from the server, through the outbound address policy).
// The CloudEvents 1.0 schema first sends OPTIONS with WebHook-Request-Origin (the abuse-protection
// handshake), then single events (application/cloudevents+json) or batches. The secret comes in
// the endpoint URL's query (?secret=…) or a delivery header; both handshakes require it too.

const eventGridEventSchema = z.looseObject({
  id: z.string({ error: "required: id" }).min(1).max(500),
  eventType: z.string({ error: "required: eventType" }).min(1).max(500),
  subject: z.string().max(1000).optional(),
  data: z.unknown(),
});
const cloudEventSchema = z.looseObject({
  specversion: z.literal("1.0", { error: "specversion must be 1.0" }),
  id: z.string({ error: "required: id" }).min(1).max(500),
  type: z.string({ error: "required: type" }).min(1).max(500),
  source: z.string({ error: "required: source" }).min(1).max(1000),
  data: z.unknown(),
});

const VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent";

const validationUrlSchema = z.url({ protocol: /^https?$/, error: "data.validationUrl is not an http(s) URL" }).max(4_000);

/**
 * The manual validation handshake: a GET on Azure's validationUrl (valid for five minutes), made
 * through the outbound address policy like every outside call, so an event cannot make Syncline
 * call into its own network. Azure answers 200 once the subscription is validated.
 */
async function callValidationUrl(raw: string, allowlist: string[]): Promise<void> {
  const parsed = validationUrlSchema.safeParse(raw);
  if (!parsed.success) throw new ApiError(400, "The SubscriptionValidation event's validationUrl is not an http(s) URL.", [{ path: "0.data.validationUrl", message: parsed.error.issues[0]!.message }]);
  let response;
  try {
    response = await sendRequest({ method: "GET", url: new URL(parsed.data), headers: { accept: "*/*" }, timeoutMs: 10_000, allowlist, maxResponseBytes: 64 * 1024 });
  } catch (error) {
    if (error instanceof AddressRefusedError) {
      throw new ApiError(400, `Syncline does not call the validationUrl's host: ${error.message}`, [{ path: "0.data.validationUrl", message: "address not allowed" }]);
    }
    throw new ApiError(502, `Azure's validationUrl could not be reached (${(error as Error).message}); Event Grid sends the validation again, or validate the subscription in the Azure portal.`);
  }
  if (response.status < 200 || response.status >= 300) {
    throw new ApiError(502, `Azure's validationUrl answered ${response.status}: ${response.body.toString("utf8").slice(0, 300) || "no message"}. The URL is valid for five minutes; retry the validation from the Azure portal if it expired.`);
  }
}

export async function handleEventGridOptions(request: Request, sourceId: string, options: PushOptions): Promise<Response> {
  const source = await pushSource(options.db, sourceId, "eventgrid");
  await authenticate(options.db, source, request.headers, new URL(request.url).searchParams);
  const origin = request.headers.get("webhook-request-origin")?.trim();
  if (!origin) throw new ApiError(400, "Send WebHook-Request-Origin (the CloudEvents webhook abuse-protection handshake).");
  return new Response(null, { status: 200, headers: { "WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": "*", Allow: "POST, OPTIONS" } });
}

export async function handleEventGridRequest(request: Request, sourceId: string, options: PushOptions): Promise<Response> {
  const source = await pushSource(options.db, sourceId, "eventgrid");
  await authenticate(options.db, source, request.headers, new URL(request.url).searchParams);
  const raw = Buffer.from(await readBodyBounded(request, options.maxBytes ?? env().SYNCLINE_MAX_EVENT_BYTES));
  let body: unknown;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch (error) {
    throw new ApiError(400, `The body is not valid JSON: ${(error as Error).message}`, [{ path: "body", message: "not valid JSON" }]);
  }
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) return new Response(null, { status: 200 });

  // The Event Grid schema's handshake: answer the validation code, or call the validationUrl.
  const first = items[0] as { eventType?: unknown; data?: { validationCode?: unknown; validationUrl?: unknown } } | undefined;
  if (request.headers.get("aeg-event-type") === "SubscriptionValidation" || first?.eventType === VALIDATION_EVENT) {
    const code = typeof first?.data?.validationCode === "string" ? first.data.validationCode : "";
    const validationUrl = typeof first?.data?.validationUrl === "string" ? first.data.validationUrl : "";
    if (validationUrl && (source.settings.handshake === "url" || !code)) {
      await callValidationUrl(validationUrl, options.allowlist ?? env().SYNCLINE_HTTP_ALLOWLIST.split(",").map((h) => h.trim()).filter(Boolean));
      return jsonResponse({ validated: "validationUrl" }, 200);
    }
    if (!code) throw new ApiError(400, "The SubscriptionValidation event has neither data.validationCode nor data.validationUrl.", [{ path: "0.data.validationCode", message: "required" }]);
    return jsonResponse({ validationResponse: code }, 200);
  }

  const parsed = items.map((item, index) => {
    const asCloudEvent = item && typeof item === "object" && "specversion" in item;
    const result = (asCloudEvent ? cloudEventSchema : eventGridEventSchema).safeParse(item);
    if (!result.success) {
      throw new ApiError(400, `Event ${index} is not an ${asCloudEvent ? "CloudEvents 1.0" : "Event Grid"} event.`, result.error.issues.map((i) => ({ path: [index, ...i.path].map(String).join("."), message: i.message })));
    }
    return result.data as { id: string; data?: unknown };
  });

  const results: { id: string; status: string }[] = [];
  const rejected: { path: string; message: string }[] = [];
  try {
    // One at a time, in the order sent: a key's events keep their order.
    for (const [index, event] of parsed.entries()) {
      const outcome = await takeInMessage(source, { body: Buffer.from(JSON.stringify(items[index])), headers: {}, messageId: event.id, defaultData: event.data }, { db: options.db, nats: options.nats, layout: options.layout });
      if (outcome.status === "dead-lettered") rejected.push({ path: String(index), message: outcome.error });
      else results.push({ id: outcome.id, status: outcome.status });
    }
  } catch (error) {
    if (error instanceof IngestUnavailableError) throw new ApiError(503, error.message, undefined, { "Retry-After": String(error.retryAfterSeconds) });
    throw error;
  }
  if (rejected.length > 0) throw new ApiError(400, `${rejected.length} of ${parsed.length} events do not fit their event type; they are in Syncline's dead-letter inbox.`, rejected);
  return jsonResponse({ events: results }, 200);
}
