import { after } from "next/server";
import { apiRoute } from "@/server/http-api/api-route";
import { handleEventsRequest } from "@/server/http-api/events-request";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { binaryModeEvent, isBinaryMode } from "@/server/http-api/binary-mode";
import { env } from "@/server/env";
import { drainAfterIngest } from "@/server/runtime/serverless-drain";

export const dynamic = "force-dynamic";
// Vercel ends the function (and its after() work) here; SYNCLINE_INGEST_DRAIN_BUDGET_MS stays below it.
export const maxDuration = 60;

/** Serverless mode: no worker runs, so the function moves the events it just accepted. */
const drainIfServerless = {
  onAccepted: (orderingKeys: string[]) => {
    if (env().SYNCLINE_WORKER === "off") after(() => drainAfterIngest(orderingKeys));
  },
};

/**
 * Ingests one CloudEvent or a batch; 202 only after JetStream stored every event (see ingest.ts).
 * A binary-mode request (`ce-*` headers, the data as the body) is turned into its structured-mode
 * event first, so all three modes share one validation and one answer.
 */
export const POST = apiRoute({ role: "editor", scope: "events:write" }, async (request) => {
  if (!isBinaryMode(request.headers)) return handleEventsRequest(request, drainIfServerless);
  const event = await binaryModeEvent(request, env().SYNCLINE_MAX_EVENT_BYTES);
  const headers = new Headers({ "content-type": "application/cloudevents+json" });
  const traceparent = request.headers.get("traceparent");
  if (traceparent) headers.set("traceparent", traceparent);
  const structured = new Request(request.url, { method: "POST", headers, body: new TextEncoder().encode(JSON.stringify(event)) });
  // The limit applied to the body as sent; data_base64 makes the structured form larger than that.
  return handleEventsRequest(structured, { ...drainIfServerless, maxBytes: Number.MAX_SAFE_INTEGER });
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed("POST");
