import type { IncomingHttpHeaders } from "node:http";
import { FakeHttpServer, parseJsonText, type FakeReply, type RawRequest } from "../../testing/fake-http-server";

// The provider fakes' server (translation and AI APIs): answers with a handler, records requests
// with their JSON bodies parsed, and takes scripted answers (errors, stalls) from a test.

export interface RecordedRequest {
  method: string;
  /** Path and query as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when it is not JSON. */
  body: unknown;
}

export type FakeAnswer = FakeReply;

/** A scripted answer: a response, or "stall" (never answers, for timeouts). */
export type ScriptedAnswer = FakeAnswer | "stall";

export type FakeHandler = (request: RecordedRequest) => FakeAnswer;

export class FakeApiServer extends FakeHttpServer<RecordedRequest> {
  protected override stringContentType = "text/plain";

  constructor(private readonly handler: FakeHandler) {
    super();
  }

  get url(): string {
    return this.origin;
  }

  /** The next calls get these answers, in order, instead of the handler's. */
  failNext(...answers: ScriptedAnswer[]): void {
    this.inject(...answers.map((a) => (a === "stall" ? ("hang" as const) : a)));
  }

  protected record(raw: RawRequest): RecordedRequest {
    return { method: raw.method, path: raw.target, headers: raw.headers, body: parseJsonText(raw.text, raw.text) };
  }

  protected reply(request: RecordedRequest): FakeAnswer {
    return this.handler(request);
  }
}

/** The JSON body of a recorded request as an object. */
export function jsonBody(request: RecordedRequest | undefined): Record<string, unknown> {
  return (request?.body ?? {}) as Record<string, unknown>;
}
