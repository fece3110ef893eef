// What the HTTP API reads of a request: a fetch `Request` (Next's route handlers) satisfies it, and
// so does the ingest fast path's view of node's own request (ingest-fast-path.ts), which spares the
// web Request, its Headers and its body stream per call (docs/decisions/0027). One set of checks,
// authentication, limits and validation then serves both.

/** The headers of a request, read by name (case-insensitive), iterable as lower-case [name, value] pairs. */
export interface RequestHeaders extends Iterable<[string, string]> {
  get(name: string): string | null;
  has(name: string): boolean;
}

export interface HttpRequest {
  readonly method: string;
  /** The absolute URL. */
  readonly url: string;
  readonly headers: RequestHeaders;
  /** The body as a web stream (a fetch Request), or null. */
  readonly body: ReadableStream<Uint8Array> | null;
  /** The whole body, already read (the ingest fast path); read instead of `body` when present. */
  readonly bodyBytes?: Uint8Array;
}

/** The headers as a fetch `Headers` object, for the libraries that need one (the session lookup). */
export function webHeaders(headers: RequestHeaders): Headers {
  return headers instanceof Headers ? headers : new Headers([...headers]);
}
