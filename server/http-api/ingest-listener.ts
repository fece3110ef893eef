import http from "node:http";
import type { AddressInfo } from "node:net";
import { staticSecurityHeaders } from "./security-headers";

// The ingest listener (docs/decisions/0018): POST /api/events on a plain node:http server beside
// the Next.js app, for self-hosted deployments. Next's routing, proxy and request plumbing cost
// several times more CPU per request than validating and publishing an event does, and single
// events are how shops, ERPs and webhooks send. The listener mounts the very route handler the
// Next route exports (app/api/events/route.ts), so authentication, the surface checks, validation
// and publishing are one implementation; it only turns node's request into a fetch Request and
// the Response back. Every other path answers 404 and points at the app's port.

export type FetchHandler = (request: Request, context: { params: Promise<Record<string, never>> }) => Response | Promise<Response>;

export interface IngestListenerOptions {
  port: number;
  host: string;
  /** The handlers of /api/events by method (the route module's exports). */
  routes: Partial<Record<"GET" | "POST" | "PUT" | "PATCH" | "DELETE", FetchHandler>>;
  /** Where the rest of the app is served, for the 404 message. */
  appUrl: string;
  /** SYNCLINE_PUBLIC_URL is https: responses carry HSTS like the app's. */
  https?: boolean;
  log?: (message: string) => void;
}

export interface IngestListener {
  port: number;
  close(): Promise<void>;
}

const PATH = "/api/events";
const noParams = { params: Promise.resolve({}) };

export async function startIngestListener(options: IngestListenerOptions): Promise<IngestListener> {
  const securityHeaders = Object.entries(staticSecurityHeaders({ https: options.https ?? false }));
  const send = (res: http.ServerResponse, status: number, headers: [string, string][], body: Uint8Array | string) => {
    for (const [name, value] of securityHeaders) res.setHeader(name, value);
    for (const [name, value] of headers) res.setHeader(name, value);
    res.writeHead(status).end(body);
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const handler = path === PATH ? options.routes[req.method as keyof IngestListenerOptions["routes"]] : undefined;
    if (!handler) {
      const message =
        path === PATH
          ? { error: { message: `${req.method} is not allowed here; use POST.` } }
          : { error: { message: `This port serves POST ${PATH} only; the app is at ${options.appUrl}.` } };
      send(res, path === PATH ? 405 : 404, [["Content-Type", "application/json"], ...(path === PATH ? ([["Allow", "POST"]] as [string, string][]) : [])], JSON.stringify(message));
      req.resume();
      return;
    }
    // The body is read here and handed over whole: the handler's bounded reader still applies
    // its limit (413) to it, and a node Buffer is far cheaper than a web stream per request.
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("error", () => res.destroy());
    req.on("end", () => {
      const headers = new Headers();
      const raw = req.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
      const host = req.headers.host ?? `127.0.0.1:${(server.address() as AddressInfo).port}`;
      const joined = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const body = new Uint8Array(joined.buffer as ArrayBuffer, joined.byteOffset, joined.byteLength);
      const request = new Request(`http://${host}${req.url}`, { method: req.method, headers, body: req.method === "GET" || req.method === "HEAD" ? null : body });
      Promise.resolve()
        .then(() => handler(request, noParams))
        .then(async (response) => {
          const out = new Uint8Array(await response.arrayBuffer());
          send(res, response.status, [...response.headers], out);
        })
        .catch((error: unknown) => {
          options.log?.(`[ingest] ${error instanceof Error ? error.message : String(error)}`);
          if (!res.headersSent) send(res, 500, [["Content-Type", "application/json"]], JSON.stringify({ error: { message: "Internal error; the events may not have been stored. Retry." } }));
          else res.destroy();
        });
    });
  });
  // Keep-alive connections from senders outlive Node's 5 s default between bursts.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
