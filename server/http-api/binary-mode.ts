import "server-only";
import { ApiError } from "@/server/http-api/api-response";
import { readBodyBounded } from "@/server/http-api/bounded-body";
import type { RequestHeaders } from "@/server/http-api/http-request";

// CloudEvents HTTP binary content mode (the CloudEvents SDKs' default, and what Knative and most
// brokers send): the attributes travel as `ce-*` headers and the body is the event's data. This
// module turns such a request into the structured-mode event the ingest validates, so both modes
// share one validation, one set of limits and one answer.

const CE_PREFIX = "ce-";

/** A request is in binary mode when it names its spec version in a header (HTTP binding §3.1). */
export function isBinaryMode(headers: Pick<RequestHeaders, "has">): boolean {
  return headers.has("ce-specversion");
}

// Header values are percent-encoded where they hold characters HTTP headers cannot (§3.1.3.2).
function decodeHeaderValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function isJsonMediaType(mediaType: string): boolean {
  return mediaType === "application/json" || mediaType === "text/json" || mediaType.endsWith("+json");
}

function isTextMediaType(mediaType: string): boolean {
  return mediaType.startsWith("text/") || mediaType === "application/xml" || mediaType.endsWith("+xml");
}

async function readBytesBounded(request: Request, maxBytes: number): Promise<Buffer> {
  return Buffer.from(await readBodyBounded(request, maxBytes));
}

/**
 * The structured-mode event of a binary-mode request: every `ce-*` header becomes an attribute
 * (extensions included, `ce-traceparent` too), `datacontenttype` comes from Content-Type, and the
 * body becomes `data` — parsed for JSON media types, text for text types, `data_base64` otherwise.
 * Throws ApiError 400 (body not JSON although Content-Type says so) or 413 (over `maxBytes`).
 */
export async function binaryModeEvent(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const event: Record<string, unknown> = {};
  for (const [name, value] of request.headers) {
    // Headers iterate with lower-case names; CloudEvents attribute names are lower-case too.
    if (name.startsWith(CE_PREFIX) && name.length > CE_PREFIX.length) event[name.slice(CE_PREFIX.length)] = decodeHeaderValue(value);
  }
  const contentType = request.headers.get("content-type");
  if (contentType) event.datacontenttype = contentType;

  const body = await readBytesBounded(request, maxBytes);
  if (body.byteLength === 0) return event;
  const mediaType = (contentType ?? "application/json").split(";")[0]!.trim().toLowerCase();
  if (isJsonMediaType(mediaType)) {
    try {
      event.data = JSON.parse(new TextDecoder().decode(body));
    } catch (error) {
      throw new ApiError(400, `The body is not valid JSON although Content-Type is ${mediaType}: ${(error as Error).message}`, [
        { path: "data", message: "not valid JSON" },
      ]);
    }
  } else if (isTextMediaType(mediaType)) {
    event.data = new TextDecoder().decode(body);
  } else {
    event.data_base64 = body.toString("base64");
  }
  return event;
}
