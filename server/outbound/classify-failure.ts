import "server-only";
import { PermanentError, TransientError } from "./execution-errors";
import { AddressRefusedError, InvalidAllowlistError } from "./address-policy";
import { RedirectError, RequestAbortedError, RequestTimeoutError, type OutboundResponse } from "./outbound-request";
import { parseRetryAfter } from "./retry-after";

// docs/guarantees.md §4 for outgoing HTTP: whether a failed call is worth retrying, and whether the receiver
// looks down (then the runtime keeps retrying until it is back, up to the max retry age).
//
//   connection refused / reset, timeouts, DNS failures, 5xx  → transient, system down
//   429                                                       → transient, after Retry-After
//   408 (the receiver timed out waiting for us)               → transient
//   other 4xx, refused addresses, bad redirects, bad requests → permanent: retrying cannot help

const EXCERPT_CHARS = 300;

/** A response that failed the call for good; carries what the receiver said. */
export class PermanentHttpError extends PermanentError {
  constructor(
    message: string,
    readonly status: number,
    readonly responseExcerpt: string,
  ) {
    super(message);
    this.name = "PermanentHttpError";
  }
}

export class TransientHttpError extends TransientError {
  constructor(
    message: string,
    readonly status: number,
    options: { retryAfterMs?: number; systemDown?: boolean },
  ) {
    super(message, options);
    this.name = "TransientHttpError";
  }
}

/**
 * How messages name a call: `POST https://crm.example.com/contacts`. The query string is left
 * out because it often carries tokens, and messages end up in run history and dead letters.
 */
export function describeCall(method: string, url: URL): string {
  return `${method} ${url.origin}${url.pathname}`;
}

/** The start of a response body on one line, for error messages. */
export function responseExcerpt(body: Buffer, maxChars: number = EXCERPT_CHARS): string {
  const text = body.subarray(0, maxChars * 4).toString("utf8").replace(/\s+/g, " ").trim();
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

/** The error a response stands for, or null when it is a success (or another non-error status). */
export function errorForResponse(response: OutboundResponse, method: string): TransientHttpError | PermanentHttpError | null {
  const { status } = response;
  if (status < 400) return null;
  const excerpt = responseExcerpt(response.body);
  const message = `${describeCall(method, response.url)} answered ${status}${response.statusText ? ` ${response.statusText}` : ""}${excerpt ? `: ${excerpt}` : ""}`;
  const retryAfterMs = parseRetryAfter(response.headers["retry-after"]);
  if (status >= 500) return new TransientHttpError(message, status, { systemDown: true, retryAfterMs });
  if (status === 429) return new TransientHttpError(message, status, { retryAfterMs });
  if (status === 408) return new TransientHttpError(message, status, { retryAfterMs });
  return new PermanentHttpError(message, status, excerpt);
}

// Node reports these for bad header names or values, or a malformed URL: our request is wrong,
// and it will be just as wrong on the next try.
const REQUEST_PROBLEM = /^ERR_(INVALID|HTTP_INVALID|UNESCAPED)/;

/** Turns whatever `sendRequest` threw into a retry decision. */
export function errorForRequestFailure(error: unknown, method: string, url: URL): TransientError | PermanentError {
  const call = describeCall(method, url);
  if (error instanceof TransientError || error instanceof PermanentError) return error;
  if (error instanceof AddressRefusedError) return new PermanentError(`${call}: ${error.message}`, { cause: error });
  if (error instanceof RedirectError || error instanceof InvalidAllowlistError) return new PermanentError(`${call}: ${error.message}`, { cause: error });
  if (error instanceof RequestTimeoutError) return new TransientError(`${call}: ${error.message}`, { systemDown: true, cause: error });
  // Shutdown or the step's deadline: try again later, but it says nothing about the receiver.
  if (error instanceof RequestAbortedError) return new TransientError(`${call}: ${error.message}`, { cause: error });
  const code = typeof (error as { code?: unknown } | null)?.code === "string" ? (error as { code: string }).code : undefined;
  const reason = error instanceof Error ? error.message : String(error);
  // Without a code it did not come from the network or the system: a bug, which retrying repeats.
  if (!code || REQUEST_PROBLEM.test(code)) return new PermanentError(`${call}: ${reason}`, { cause: error });
  // Everything else came from the network: refused, reset, unreachable, DNS, TLS, a garbled answer.
  return new TransientError(`${call}: ${reason.includes(code) ? "" : `${code} `}${reason}`, { systemDown: true, cause: error });
}
