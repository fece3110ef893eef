import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

// The one local HTTP server behind every fake provider (translation APIs, AI, sales channels): a
// real server on 127.0.0.1 that records requests, answers with the fake's logic or with answers a
// test injects (errors, no answer at all), and can go offline (connection refused) and come back
// on the same port. Subclasses decide how a request is recorded and answered.

export interface RawRequest {
  method: string;
  /** The request target as sent: path and query. */
  target: string;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export abstract class FakeHttpServer<Recorded> {
  readonly requests: Recorded[] = [];
  private readonly injected: (FakeReply | "hang")[] = [];
  private server: Server | null = null;
  private port = 0;
  /** Content-Type of a reply whose body is a string. */
  protected stringContentType = "application/json";

  protected abstract record(raw: RawRequest): Recorded;
  protected abstract reply(request: Recorded): FakeReply | Promise<FakeReply>;

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.server !== null;
  }

  /** While set, every call gets this answer instead of the fake's own (an outage: 503, 500…). */
  outage: FakeReply | null = null;

  /** The next calls get these answers, in order, instead of the fake's own; "hang" never answers. */
  protected inject(...answers: (FakeReply | "hang")[]): void {
    this.injected.push(...answers);
  }

  /** Starts, on the port it had before when restarted. */
  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const raw: RawRequest = { method: req.method ?? "GET", target: req.url ?? "/", headers: req.headers, text: Buffer.concat(chunks).toString("utf8") };
        const request = this.record(raw);
        this.requests.push(request);
        const next = this.outage ?? this.injected.shift();
        if (next === "hang") return;
        void Promise.resolve(next ?? this.reply(request)).then(
          (reply) => {
            const type = typeof reply.body === "string" ? this.stringContentType : "application/json";
            res.writeHead(reply.status, { "content-type": type, ...reply.headers });
            res.end(reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body));
          },
          (error: unknown) => {
            res.writeHead(500, { "content-type": "application/json" });
            res.end(JSON.stringify({ message: String(error) }));
          },
        );
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

  /** Stops listening and drops open connections: calls now fail with ECONNREFUSED. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The body parsed as JSON, or `fallback` when it is empty or not JSON. */
export function parseJsonText(text: string, fallback: unknown): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}
