import "server-only";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { errorForRequestFailure, PermanentHttpError, responseExcerpt, TransientHttpError } from "@/server/outbound/classify-failure";
import { sendRequest, type OutboundResponse } from "@/server/outbound/outbound-request";
import type { HostResolver } from "@/server/outbound/address-policy";
import { parseRetryAfter } from "@/server/outbound/retry-after";

// One JSON call to a content provider (DeepL, LibreTranslate, an OpenAI-compatible API), always
// through `sendRequest` so the SSRF rules, the allow-list and the time limit apply. Failures come
// back as the runtime's retry decisions (docs/guarantees.md §4), named after the provider and carrying the
// provider's own message:
//
//   connection refused / reset, timeouts, 5xx → transient, system down
//   429 (and whatever `classify` adds, e.g. DeepL's 456 quota) → transient, after Retry-After
//   other 4xx → permanent, with the provider's message

export interface ProviderCallOptions {
  /** Shown in messages: "DeepL", "LibreTranslate", "OpenAI-compatible API". */
  provider: string;
  method: "GET" | "POST";
  url: URL;
  headers: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
  /** SYNCLINE_HTTP_ALLOWLIST entries. */
  allowlist: readonly string[];
  /** For tests: how host names become addresses. */
  resolve?: HostResolver;
  /** The provider's own error message from an error response body. */
  errorMessage?: (body: unknown) => string | undefined;
  /**
   * Provider-specific decisions before the generic ones; return undefined to fall through.
   * `message` is the provider's message, or a short excerpt of the body.
   */
  classify?: (failure: ProviderFailure) => TransientError | PermanentError | undefined;
}

export interface ProviderFailure {
  status: number;
  message: string;
  headers: Record<string, string>;
  /** "DeepL answered 456" etc., ready to start a message with. */
  prefix: string;
  /** Retry-After (seconds or HTTP date) in ms, when sent. */
  retryAfterMs: number | undefined;
}

export interface ProviderResponse {
  status: number;
  headers: Record<string, string>;
  json: unknown;
}

function parseJson(response: OutboundResponse): unknown {
  const text = response.body.toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Re-creates a transport failure with the provider's name in front, keeping its retry decision. */
function named(provider: string, error: TransientError | PermanentError): TransientError | PermanentError {
  const message = `${provider}: ${error.message}`;
  if (error instanceof TransientError) return new TransientError(message, { retryAfterMs: error.retryAfterMs, systemDown: error.systemDown, cause: error });
  return new PermanentError(message, { cause: error });
}

export async function callProvider(options: ProviderCallOptions): Promise<ProviderResponse> {
  const { provider, method, url } = options;
  const headers: Record<string, string> = { accept: "application/json", "user-agent": "Syncline", ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] = "application/json";
  }
  let response: OutboundResponse;
  try {
    response = await sendRequest({
      method,
      url,
      headers,
      body,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      allowlist: options.allowlist,
      resolve: options.resolve,
      // Providers never redirect an API call anywhere useful; following one could leak the key.
      maxRedirects: 0,
    });
  } catch (error) {
    throw named(provider, errorForRequestFailure(error, method, url));
  }

  const json = parseJson(response);
  if (response.status >= 300) {
    const status = response.status;
    const message = options.errorMessage?.(json)?.trim() || responseExcerpt(response.body) || response.statusText || "no details";
    const failure: ProviderFailure = {
      status,
      message,
      headers: response.headers,
      prefix: `${provider} answered ${status}`,
      retryAfterMs: parseRetryAfter(response.headers["retry-after"]),
    };
    const specific = options.classify?.(failure);
    if (specific) throw specific;
    const text = `${failure.prefix}: ${message}`;
    if (status >= 500) throw new TransientHttpError(text, status, { systemDown: true, retryAfterMs: failure.retryAfterMs });
    if (status === 429 || status === 408) throw new TransientHttpError(text, status, { retryAfterMs: failure.retryAfterMs });
    if (status === 401 || status === 403) throw new PermanentHttpError(`${provider} refused the credential (${status}): ${message}`, status, message);
    if (status >= 300 && status < 400) throw new PermanentHttpError(`${text} (a redirect: is the base URL right?)`, status, message);
    throw new PermanentHttpError(text, status, message);
  }
  if (json === undefined) {
    // A 200 that is not JSON: usually a base URL pointing at a web page instead of the API.
    throw new PermanentError(`${provider} answered ${response.status} with something that is not JSON (${responseExcerpt(response.body, 120) || "empty"}); check the base URL`);
  }
  return { status: response.status, headers: response.headers, json };
}

/** `https://host/prefix` + `v2/translate` → `https://host/prefix/v2/translate`; refuses non-http(s) and query strings. */
export function joinUrl(base: string, path: string, provider: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new PermanentError(`${provider}: the credential's base URL "${base}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new PermanentError(`${provider}: the base URL must be http or https, not ${url.protocol}`);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
  url.search = "";
  url.hash = "";
  return url;
}

/**
 * OpenAI's rate-limit reset headers (`x-ratelimit-reset-requests: 1s`, `x-ratelimit-reset-tokens: 6m0s`,
 * `20ms`) in milliseconds, or undefined.
 */
export function parseResetDuration(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1_000);
  const pattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = "";
  for (const match of text.matchAll(pattern)) {
    const amount = Number(match[1]);
    const unit = match[2];
    total += unit === "ms" ? amount : unit === "s" ? amount * 1_000 : unit === "m" ? amount * 60_000 : amount * 3_600_000;
    matched += match[0];
  }
  return matched === text && matched !== "" ? Math.ceil(total) : undefined;
}

export function stringSetting(settings: Record<string, unknown>, name: string): string | undefined {
  const value = settings[name];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}
