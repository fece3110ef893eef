import "server-only";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { describeCall, errorForRequestFailure, errorForResponse, PermanentHttpError, TransientHttpError } from "@/server/outbound/classify-failure";
import { parseResponseBody, sendRequest, type OutboundResponse } from "@/server/outbound/outbound-request";
import type { ConnectorTransport } from "./types";

// Every connector call goes through sendRequest (SSRF policy, deadline, size limit) and the shared
// failure classification, with one channel-specific rule: a channel that answers 429 is treated
// like one that is down (docs/guarantees.md §4): the runtime holds the flow's updates for it in order
// instead of spending the node's attempts, waiting at least the Retry-After it sent.

const DEFAULT_TIMEOUT_MS = 30_000;

export interface PlatformRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /** Serialised as JSON unless `rawBody` is given. */
  json?: unknown;
  rawBody?: string;
  contentType?: string;
}

export interface PlatformResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  raw: OutboundResponse;
}

/** Sends one request; network failures become Transient/Permanent errors, statuses are returned as they are. */
export async function platformSend(request: PlatformRequest, transport: ConnectorTransport): Promise<PlatformResponse> {
  const headers: Record<string, string> = { accept: "application/json", "user-agent": "Syncline", ...request.headers };
  let body: string | undefined;
  if (request.rawBody !== undefined) body = request.rawBody;
  else if (request.json !== undefined) body = JSON.stringify(request.json);
  if (body !== undefined) headers["content-type"] = request.contentType ?? headers["content-type"] ?? "application/json";
  let response: OutboundResponse;
  try {
    response = await sendRequest({
      method: request.method,
      url: request.url,
      headers,
      body,
      timeoutMs: transport.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      signal: transport.signal,
      allowlist: transport.allowlist,
    });
  } catch (error) {
    throw errorForRequestFailure(error, request.method, request.url);
  }
  return { status: response.status, headers: response.headers, body: parseResponseBody(response), raw: response };
}

/**
 * The error an error status stands for: 5xx and 429 are transient with the channel down, 408
 * transient, other 4xx permanent carrying `platformMessage` (the platform's own words) when given.
 */
export function channelErrorFor(response: PlatformResponse, method: string, platformMessage?: string): TransientError | PermanentError | null {
  const failure = errorForResponse(response.raw, method);
  if (!failure) return null;
  const call = describeCall(method, response.raw.url);
  if (failure instanceof TransientHttpError) {
    const down = failure.systemDown || response.status === 429;
    const message = platformMessage ? `${call} answered ${response.status}: ${platformMessage}` : failure.message;
    // Shopify sends Retry-After: 2.0, which the RFC's integer form does not allow.
    const fractional = /^\s*\d+\.\d+\s*$/.test(response.headers["retry-after"] ?? "") ? Math.ceil(Number(response.headers["retry-after"]) * 1_000) : undefined;
    return new TransientHttpError(message, response.status, { systemDown: down, retryAfterMs: failure.retryAfterMs ?? fractional });
  }
  if (failure instanceof PermanentHttpError && platformMessage) {
    return new PermanentHttpError(`${call} answered ${response.status}: ${platformMessage}`, response.status, failure.responseExcerpt);
  }
  return failure;
}

/** platformSend, then throws for error statuses (see channelErrorFor). */
export async function platformCall(request: PlatformRequest, transport: ConnectorTransport, messageOf?: (body: unknown) => string | undefined): Promise<PlatformResponse> {
  const response = await platformSend(request, transport);
  const error = channelErrorFor(response, request.method, response.status >= 400 ? messageOf?.(response.body) : undefined);
  if (error) throw error;
  return response;
}

/** A configured http(s) URL, or a permanent error naming the setting. */
export function httpUrl(text: string, setting: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PermanentError(`channel settings: ${setting} "${text}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new PermanentError(`channel settings: ${setting} must be http or https, not ${url.protocol}`);
  return url;
}

/** Joins a base URL (which may carry a path prefix) and a path. */
export function joinUrl(base: string, path: string): URL {
  const url = httpUrl(base, "baseUrl");
  const prefix = url.pathname.replace(/\/+$/, "");
  return new URL(`${url.origin}${prefix}${path.startsWith("/") ? path : `/${path}`}`);
}

/** Prices as platforms want them in strings: two decimals. */
export function formatPrice(price: number): string {
  return price.toFixed(2);
}
