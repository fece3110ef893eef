import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

// A local HTTP server for provider fakes: records requests, answers with the fake's handler, or with
// scripted answers queued by a test (errors, stalls), and can go offline and come back on the same port.

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when it is not JSON. */
  body: unknown;
}

export interface FakeAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A scripted answer: a response, or "stall" (never answers, for timeouts). */
export type ScriptedAnswer = FakeAnswer | "stall";

export type FakeHandler = (request: RecordedRequest) => FakeAnswer;

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  private readonly script: ScriptedAnswer[] = [];
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly handler: FakeHandler) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The next calls get these answers, in order, instead of the handler's. */
  failNext(...answers: ScriptedAnswer[]): void {
    this.script.push(...answers);
  }

  async start(): Promise<this> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = text === "" ? undefined : JSON.parse(text);
        } catch {
          // keep the text
        }
        const recorded: RecordedRequest = { method: request.method ?? "", path: request.url ?? "/", headers: request.headers, body };
        this.requests.push(recorded);
        const answer = this.script.shift() ?? this.handler(recorded);
        if (answer === "stall") return;
        const payload = answer.body === undefined ? "" : typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
        response.writeHead(answer.status, { "content-type": typeof answer.body === "string" ? "text/plain" : "application/json", ...answer.headers });
        response.end(payload);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Goes offline: connections are refused until `start()` again (same port). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The JSON body of a recorded request as an object. */
export function jsonBody(request: RecordedRequest | undefined): Record<string, unknown> {
  return (request?.body ?? {}) as Record<string, unknown>;
}
