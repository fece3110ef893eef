import type http from "node:http";
import { staticSecurityHeaders } from "./security-headers";

// The ingest fast path (docs/decisions/0018): `POST /api/events` served straight from node:http
// on the app's own port, past Next's per-request machinery. Next's routing, proxy and web-stream
// plumbing cost several times more CPU per request than validating and publishing an event does,
// and single events are how shops, ERPs and webhooks send. The fast path runs the very handlers
// the Next route exports (app/api/events/route.ts), so authentication, the surface checks,
// validation, limits and publishing are one implementation; it only turns node's request into a
// fetch Request and the Response back.
//
// `instrumentation.ts` creates it inside the web app's process (one database pool, one NATS
// connection and one API key cache with the app) and hands it to the app's HTTP server
// (scripts/web-server.mjs) under INGEST_FAST_PATH; `next start` alone (Vercel, `npm run dev`)
// never asks for it and serves the same route through Next.

export type FetchHandler = (request: Request, context: { params: Promise<Record<string, never>> }) => Response | Promise<Response>;

export type NodeHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface IngestFastPathOptions {
  /** The handlers of /api/events by method (the route module's exports). */
  routes: Partial<Record<"GET" | "POST" | "PUT" | "PATCH" | "DELETE", FetchHandler>>;
  /** SYNCLINE_PUBLIC_URL is https: responses carry HSTS like the app's. */
  https?: boolean;
  log?: (message: string) => void;
}

/** Where the web app's process leaves the fast path for scripts/web-server.mjs to find. */
export const INGEST_FAST_PATH = Symbol.for("syncline.ingest-fast-path");

const noParams = { params: Promise.resolve({}) };

export function createIngestFastPath(options: IngestFastPathOptions): NodeHandler {
  const securityHeaders = Object.entries(staticSecurityHeaders({ https: options.https ?? false }));
  const send = (res: http.ServerResponse, status: number, headers: [string, string][], body: Uint8Array | string) => {
    for (const [name, value] of securityHeaders) res.setHeader(name, value);
    for (const [name, value] of headers) res.setHeader(name, value);
    res.writeHead(status).end(body);
  };

  return (req, res) => {
    const handler = options.routes[req.method as keyof IngestFastPathOptions["routes"]];
    if (!handler) {
      send(res, 405, [["Content-Type", "application/json"], ["Allow", "POST"]], JSON.stringify({ error: { message: `${req.method} is not allowed here; use POST.` } }));
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
      const host = req.headers.host ?? "127.0.0.1";
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
  };
}
