import "server-only";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { allowlistOf, resolvePermittedAddress, type HostResolver, type PermittedAddress } from "./address-policy";
import { interceptIfDryRun } from "./dry-run";
import { withOutboundSpan } from "@/server/tracing/spans";

// Every call a node makes to an outside system goes through `sendRequest`: it resolves the host,
// refuses forbidden addresses (address-policy.ts), connects to exactly the address it checked,
// checks every redirect hop the same way, and bounds time and response size. It reports failures
// as they happened; `classify-failure.ts` turns them into retry decisions.

export interface OutboundRequest {
  method: string;
  url: URL;
  /** Sent as given; names should be lower-case so later ones replace earlier ones predictably. */
  headers: Record<string, string>;
  body?: string;
  /** The whole exchange (DNS, connect, redirects, reading the body) must finish within this. */
  timeoutMs: number;
  /** Aborts the exchange, e.g. when the worker shuts down or the step's deadline passes. */
  signal?: AbortSignal;
  /** SYNCLINE_HTTP_ALLOWLIST entries. */
  allowlist: readonly string[];
  /** Default 5. */
  maxRedirects?: number;
  /** Longer bodies are cut here and `truncated` is set. Default 1 MiB. */
  maxResponseBytes?: number;
  /** For tests: how host names become addresses. Default: the system resolver. */
  resolve?: HostResolver;
}

export interface OutboundResponse {
  status: number;
  statusText: string;
  /** The URL that answered, after redirects. */
  url: URL;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** The body was longer than `maxResponseBytes`; `body` holds its beginning. */
  truncated: boolean;
}

export class RequestTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = "RequestTimeoutError";
  }
}

/** The caller's signal aborted the exchange. */
export class RequestAbortedError extends Error {
  constructor(readonly reason: unknown) {
    super(`the request was aborted${reason instanceof Error && reason.message ? ` (${reason.message})` : ""}`);
    this.name = "RequestAbortedError";
  }
}

export class RedirectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RedirectError";
  }
}

const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
const DEFAULT_MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// Credentials meant for one origin must not travel to another one a redirect points at (as fetch does).
const ORIGIN_BOUND_HEADERS = ["authorization", "proxy-authorization", "cookie"];

// Keep-alive: a flow calling the same CRM for every event reuses connections instead of opening
// thousands. A pooled socket is keyed by host and port; it was connected to an address checked
// for that same host, so reusing it cannot reach anything the policy would refuse.
const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 256 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 256 }),
};

/** Makes the socket connect to the address that was checked, whatever DNS says by now. */
function pinnedLookup(target: PermittedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

export async function sendRequest(request: OutboundRequest): Promise<OutboundResponse> {
  // A dry run records the request and stops here (dry-run.ts).
  interceptIfDryRun(request);
  // With tracing on: an `outbound` span, whose traceparent the request carries (README "Traces").
  return withOutboundSpan(request, (headers) => send(request, headers));
}

async function send(request: OutboundRequest, tracedHeaders: Readonly<Record<string, string>>): Promise<OutboundResponse> {
  const allowlist = allowlistOf(request.allowlist);
  const maxRedirects = request.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const maxResponseBytes = request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  // One controller for the whole exchange, fed by the deadline and the caller's signal; the
  // listener is removed afterwards so a long-lived worker signal does not collect listeners.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new RequestTimeoutError(request.timeoutMs)), request.timeoutMs);
  const parent = request.signal;
  const onParentAbort = () => controller.abort(new RequestAbortedError(parent?.reason));
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener("abort", onParentAbort, { once: true });
  const signal = controller.signal;

  try {
    let { method, url, body } = request;
    const headers = { ...tracedHeaders };
    for (let hop = 0; ; hop++) {
      if (signal.aborted) throw signal.reason;
      const target = await abortable(resolvePermittedAddress(url.hostname, allowlist, request.resolve), signal);
      const response = await exchange({ method, url, headers, body, target, signal, maxResponseBytes });
      const location = response.headers.location;
      if (!REDIRECT_STATUSES.has(response.status) || location === undefined) return response;

      if (hop >= maxRedirects) throw new RedirectError(`more than ${maxRedirects} redirects, the last to ${location}`);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new RedirectError(`redirected to "${location}", which is not a URL`);
      }
      if (next.protocol !== "http:" && next.protocol !== "https:") throw new RedirectError(`redirected to a ${next.protocol} URL, only http and https are followed`);
      // As browsers do: 303 always, and 301/302 after a POST, continue as a GET without the body.
      if ((response.status === 303 && method !== "HEAD") || ((response.status === 301 || response.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
        delete headers["content-type"];
      }
      if (next.origin !== url.origin) for (const name of ORIGIN_BOUND_HEADERS) delete headers[name];
      url = next;
    }
  } catch (error) {
    // Node reports an aborted socket as a generic AbortError; say why it was aborted.
    throw signal.aborted ? signal.reason : error;
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener("abort", onParentAbort);
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

interface Exchange {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
  target: PermittedAddress;
  signal: AbortSignal;
  maxResponseBytes: number;
}

function exchange({ method, url, headers, body, target, signal, maxResponseBytes }: Exchange): Promise<OutboundResponse> {
  return new Promise((resolve, reject) => {
    const protocol = url.protocol === "https:" ? "https:" : "http:";
    const transport = protocol === "https:" ? https : http;
    const payload = body === undefined ? undefined : Buffer.from(body);
    const request = transport.request(
      url,
      {
        method,
        headers: payload ? { ...headers, "content-length": String(payload.length) } : headers,
        agent: agents[protocol],
        lookup: pinnedLookup(target),
        signal,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        const finish = () =>
          resolve({
            status: response.statusCode ?? 0,
            statusText: response.statusMessage ?? "",
            url,
            headers: flattenHeaders(response.headers),
            body: Buffer.concat(chunks),
            truncated,
          });
        response.on("data", (chunk: Buffer) => {
          if (truncated) return;
          if (size + chunk.length > maxResponseBytes) {
            chunks.push(chunk.subarray(0, maxResponseBytes - size));
            size = maxResponseBytes;
            truncated = true;
            // The rest is not wanted; closing the socket is cheaper than reading it.
            response.destroy();
            finish();
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        response.on("end", finish);
        response.on("error", reject);
        // A connection that drops mid-body ends the stream without "end" (and, depending on the
        // Node version, without "error"): without this the exchange would wait forever.
        response.on("close", () => {
          if (!response.complete && !truncated) reject(Object.assign(new Error("the connection closed before the response was complete"), { code: "ECONNRESET" }));
        });
      },
    );
    request.on("error", reject);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    request.end(payload);
  });
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

/** The body as JSON when the response says it is JSON (and it parses), otherwise as text. */
export function parseResponseBody(response: Pick<OutboundResponse, "headers" | "body">): unknown {
  const text = response.body.toString("utf8");
  const type = (response.headers["content-type"] ?? "").toLowerCase();
  if (/^application\/([\w.-]+\+)?json\b/.test(type) || (type === "" && /^\s*[[{]/.test(text))) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
