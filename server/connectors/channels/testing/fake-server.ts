import type { IncomingHttpHeaders } from "node:http";
import { FakeHttpServer, parseJsonText, type FakeReply, type RawRequest } from "../../testing/fake-http-server";

// The shared half of the fake platform servers used by the connector tests (the HTTP side lives in
// FakeHttpServer): requests recorded with their URL and JSON, and failures a test injects.

export interface FakeRequest {
  method: string;
  path: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export type FakeResponse = FakeReply;

export abstract class FakePlatformServer extends FakeHttpServer<FakeRequest> {
  protected abstract handle(request: FakeRequest): FakeResponse | Promise<FakeResponse>;

  get baseUrl(): string {
    return this.origin;
  }

  protected record(raw: RawRequest): FakeRequest {
    const url = new URL(raw.target, "http://fake");
    return { method: raw.method, path: url.pathname, url, headers: raw.headers, body: raw.text, json: parseJsonText(raw.text, undefined) };
  }

  protected reply(request: FakeRequest): FakeResponse | Promise<FakeResponse> {
    return this.handle(request);
  }

  /** The next call(s) get this answer instead of the platform's. */
  failNext(response: FakeResponse, times = 1): void {
    for (let i = 0; i < times; i++) this.inject(response);
  }

  /** The next call gets no answer at all (a timeout on the caller's side). */
  hangNext(): void {
    this.inject("hang");
  }

  clearRequests(): void {
    this.requests.length = 0;
  }
}

export function basicAuth(headers: IncomingHttpHeaders): { user: string; password: string } | null {
  const value = headers.authorization;
  if (!value?.startsWith("Basic ")) return null;
  const decoded = Buffer.from(value.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
