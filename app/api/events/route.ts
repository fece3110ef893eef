import { apiRoute } from "@/server/http-api/api-response";
import { handleEventsRequest } from "@/server/http-api/events-request";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { binaryModeEvent, isBinaryMode } from "@/server/http-api/binary-mode";
import { env } from "@/server/env";

export const dynamic = "force-dynamic";

/**
 * Ingests one CloudEvent or a batch; 202 only after JetStream stored every event (see ingest.ts).
 * A binary-mode request (`ce-*` headers, the data as the body) is turned into its structured-mode
 * event first, so all three modes share one validation and one answer.
 */
export const POST = apiRoute(async (request) => {
  if (!isBinaryMode(request.headers)) return handleEventsRequest(request);
  const event = await binaryModeEvent(request, env().SYNCLINE_MAX_EVENT_BYTES);
  const headers = new Headers({ "content-type": "application/cloudevents+json" });
  const traceparent = request.headers.get("traceparent");
  if (traceparent) headers.set("traceparent", traceparent);
  const structured = new Request(request.url, { method: "POST", headers, body: new TextEncoder().encode(JSON.stringify(event)) });
  // The limit applied to the body as sent; data_base64 makes the structured form larger than that.
  return handleEventsRequest(structured, { maxBytes: Number.MAX_SAFE_INTEGER });
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed("POST");
