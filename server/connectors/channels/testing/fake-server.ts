import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

// The shared half of the fake platform servers used by the connector tests: a real HTTP server
// on 127.0.0.1 that can be stopped (the platform is down: connection refused) and started again
// on the same port, can answer the next calls with an injected failure, or not answer at all.

export interface FakeRequest {
  method: string;
  path: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export abstract class FakePlatformServer {
  private server: Server | null = null;
  private port = 0;
  readonly requests: FakeRequest[] = [];
  private injected: (FakeResponse | "hang")[] = [];

  protected abstract handle(request: FakeRequest): FakeResponse | Promise<FakeResponse>;

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.server !== null;
  }

  /** Starts, on the port it had before when restarted. */
  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = body ? JSON.parse(body) : undefined;
        } catch {
          json = undefined;
        }
        const url = new URL(req.url ?? "/", "http://fake");
        const request: FakeRequest = { method: req.method ?? "GET", path: url.pathname, url, headers: req.headers, body, json };
        this.requests.push(request);
        const next = this.injected.shift();
        if (next === "hang") return; // never answers
        void Promise.resolve(next ?? this.handle(request)).then(
          (response) => {
            const headers = { "content-type": "application/json", ...response.headers };
            res.writeHead(response.status, headers);
            res.end(response.body === undefined ? "" : typeof response.body === "string" ? response.body : JSON.stringify(response.body));
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

  /** The next call(s) get this answer instead of the platform's. */
  failNext(response: FakeResponse, times = 1): void {
    for (let i = 0; i < times; i++) this.injected.push(response);
  }

  /** The next call gets no answer at all (a timeout on the caller's side). */
  hangNext(): void {
    this.injected.push("hang");
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
