import "server-only";
import { evaluateExpression } from "../../expressions/evaluate-expression";
import { renderTemplate } from "../../expressions/render-template";
import { defineExecutor } from "../define-executor";
import { PermanentError } from "@/server/outbound/execution-errors";
import { errorForRequestFailure, errorForResponse } from "@/server/outbound/classify-failure";
import { parseResponseBody, sendRequest, type OutboundResponse } from "@/server/outbound/outbound-request";
import { httpRequestNode } from "./definition";

// Headers the transport sets from the request itself; taking them from the config would let a
// flow desynchronise the message framing or smuggle a second request.
const TRANSPORT_HEADERS = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "proxy-connection",
]);

// What later steps may read of the response headers. Set-Cookie and friends stay out of run
// history; these are the ones integrations actually use.
const OUTPUT_HEADERS = [
  "content-type",
  "content-length",
  "content-language",
  "etag",
  "last-modified",
  "location",
  "retry-after",
  "x-request-id",
  "request-id",
  "x-correlation-id",
  "x-ratelimit-limit",
  "x-ratelimit-remaining",
  "x-ratelimit-reset",
];

function outputHeaders(headers: Record<string, string>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of OUTPUT_HEADERS) if (headers[name] !== undefined) picked[name] = headers[name];
  return picked;
}

function outputBody(response: OutboundResponse): unknown {
  // Half a JSON document is no use to a later step; say how much there was instead.
  if (response.truncated) return { truncated: true, bytes: Number(response.headers["content-length"]) || response.body.length };
  return parseResponseBody(response);
}

export const httpRequestExecutor = defineExecutor(httpRequestNode, async (context) => {
  const { config, event, steps } = context;
  const expressionContext = { event, steps };

  // Values are URL-encoded so that a SKU such as "A/B 1" stays one path segment.
  const rendered = await renderTemplate(config.url, expressionContext, { encode: encodeURIComponent });
  let url: URL;
  try {
    url = new URL(rendered);
  } catch {
    throw new PermanentError(`URL: "${rendered}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new PermanentError(`URL: only http and https URLs can be called, not ${url.protocol}`);

  const headers: Record<string, string> = {};
  for (const [name, template] of Object.entries(config.headers)) {
    const lower = name.toLowerCase();
    if (TRANSPORT_HEADERS.has(lower)) continue;
    const value = await renderTemplate(template, expressionContext);
    if (/[\r\n\0]/.test(value)) throw new PermanentError(`headers["${name}"]: the value contains a line break, which a header cannot hold`);
    headers[lower] = value;
  }

  let body: string | undefined;
  if (config.method !== "GET" && config.method !== "DELETE" && config.jsonBody.trim() !== "") {
    const value = await evaluateExpression(config.jsonBody, expressionContext);
    if (value !== undefined) body = JSON.stringify(value);
  }

  // Set after the configured headers: the idempotency key and trace context are the runtime's
  // promise (docs/guarantees.md §3, §6) and a flow cannot switch them off by accident.
  headers["idempotency-key"] = context.idempotencyKey;
  if (context.traceparent) headers.traceparent = context.traceparent;
  if (body !== undefined) headers["content-type"] ??= "application/json";
  headers.accept ??= "application/json, text/plain;q=0.9, */*;q=0.8";
  headers["user-agent"] ??= "Syncline";

  let response: OutboundResponse;
  try {
    response = await sendRequest({
      method: config.method,
      url,
      headers,
      body,
      timeoutMs: config.timeoutMs,
      signal: context.signal,
      allowlist: context.services.httpAllowlist,
    });
  } catch (error) {
    throw errorForRequestFailure(error, config.method, url);
  }
  const failure = errorForResponse(response, config.method);
  if (failure) throw failure;
  return { output: { status: response.status, headers: outputHeaders(response.headers), body: outputBody(response) } };
});
