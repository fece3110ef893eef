import type http from "node:http";
import { staticSecurityHeaders } from "./security-headers";
import { admitCall, type RouteAccess } from "./api-route";
import { checkParamsAndQuery, errorAnswer } from "./api-response";
import { ingestEventsRequest } from "./events-request";
import { isBinaryMode } from "./binary-mode";
import type { HttpRequest, RequestHeaders } from "./http-request";

// The ingest fast path (docs/decisions/0018, 0027): `POST /api/events` served straight from
// node:http on the app's own port, past Next's per-request machinery. Single events are how shops,
// ERPs and webhooks send, and Next's routing, proxy and web-stream plumbing cost several times
// more CPU per request than validating and publishing an event does.
//
// Structured and batch mode are served on node's own request and response: the route's admission
// (surface checks, API key, scope: `admitCall`, the very function the route wrapper runs) and its
// handler body (`ingestEventsRequest`: content type, limits, validation, publishing) read a light
// view of node's request (`HttpRequest`), and the answer is written without a fetch Response. Any
// other request for the path — another method, CloudEvents binary mode — goes to the route module's
// own handlers as a fetch Request, like before.
//
// `instrumentation.ts` creates it inside the web app's process (one database pool, one NATS
// connection and one API key cache with the app) and hands it to the app's HTTP server
// (scripts/web-server.mjs) under INGEST_FAST_PATH; `next start` alone (Vercel, `npm run dev`)
// never asks for it and serves the same route through Next.

export type FetchHandler = (request: Request, context: { params: Promise<Record<string, never>> }) => Response | Promise<Response>;

export type NodeHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface IngestFastPathOptions {
  /**
   * The handlers of /api/events by method (the route module's exports). POST carries the access
   * it declares (apiRoute): the fast path admits callers with it.
   */
  routes: Partial<Record<"GET" | "PUT" | "PATCH" | "DELETE", FetchHandler>> & { POST?: FetchHandler & { access?: RouteAccess | "anonymous" } };
  /** SYNCLINE_PUBLIC_URL is https: responses carry HSTS like the app's. */
  https?: boolean;
  log?: (message: string) => void;
}

/** Where the web app's process leaves the fast path for scripts/web-server.mjs to find. */
export const INGEST_FAST_PATH = Symbol.for("syncline.ingest-fast-path");

const noParams = { params: Promise.resolve({}) };
const NO_PARAMS = {};

/** node's raw headers read like fetch Headers: names case-insensitive, repeated ones joined with ", ". */
class NodeRequestHeaders implements RequestHeaders {
  private readonly values = new Map<string, string>();
  constructor(raw: string[]) {
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const value = raw[i + 1]!.trim();
      const existing = this.values.get(name);
      this.values.set(name, existing === undefined ? value : `${existing}, ${value}`);
    }
  }
  get(name: string) {
    return this.values.get(name.toLowerCase()) ?? null;
  }
  has(name: string) {
    return this.values.has(name.toLowerCase());
  }
  [Symbol.iterator]() {
    return this.values.entries();
  }
}

export function createIngestFastPath(options: IngestFastPathOptions): NodeHandler {
  const securityHeaders = Object.entries(staticSecurityHeaders({ https: options.https ?? false }));
  const send = (res: http.ServerResponse, status: number, headers: Iterable<[string, string]>, body: Uint8Array | string) => {
    for (const [name, value] of securityHeaders) res.setHeader(name, value);
    for (const [name, value] of headers) res.setHeader(name, value);
    res.writeHead(status).end(body);
  };
  // What jsonResponse (api-response.ts) answers, written to node's response.
  const sendJson = (res: http.ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => {
    const extra: [string, string][] = [["Content-Type", "application/json"], ["Cache-Control", "no-store"]];
    if (headers) extra.push(...Object.entries(headers));
    send(res, status, extra, JSON.stringify(body));
  };
  const fail = (res: http.ServerResponse, error: unknown) => {
    options.log?.(`[ingest] ${error instanceof Error ? error.message : String(error)}`);
    if (!res.headersSent) send(res, 500, [["Content-Type", "application/json"]], JSON.stringify({ error: { message: "Internal error; the events may not have been stored. Retry." } }));
    else res.destroy();
  };
  const post = options.routes.POST;
  const access = post && post.access !== "anonymous" ? post.access : undefined;

  /** Structured or batch mode, on node's request and response. */
  const serveNatively = async (req: http.IncomingMessage, res: http.ServerResponse, headers: NodeRequestHeaders, body: Buffer) => {
    const request: HttpRequest = { method: "POST", url: `http://${req.headers.host ?? "127.0.0.1"}${req.url}`, headers, body: null, bodyBytes: body };
    try {
      await admitCall(request, access!);
      checkParamsAndQuery(request, NO_PARAMS);
      sendJson(res, 202, { results: await ingestEventsRequest(request) });
    } catch (error) {
      const answer = errorAnswer(error);
      sendJson(res, answer.status, answer.body, answer.headers);
    }
  };

  /** Anything else for the path: the route module's handler, on a fetch Request. */
  const serveByRoute = (req: http.IncomingMessage, res: http.ServerResponse, handler: FetchHandler, body: Buffer) => {
    const headers = new Headers();
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
    const host = req.headers.host ?? "127.0.0.1";
    const bytes = new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength);
    Promise.resolve()
      .then(() => handler(new Request(`http://${host}${req.url}`, { method: req.method, headers, body: req.method === "GET" || req.method === "HEAD" ? null : bytes }), noParams))
      .then(async (response) => {
        const out = new Uint8Array(await response.arrayBuffer());
        send(res, response.status, response.headers, out);
      })
      .catch((error: unknown) => fail(res, error));
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
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      if (req.method === "POST" && access) {
        const headers = new NodeRequestHeaders(req.rawHeaders);
        // Binary mode (`ce-*` headers) is rare and turns the request into another one: the route does it.
        if (!isBinaryMode(headers)) {
          serveNatively(req, res, headers, body).catch((error: unknown) => fail(res, error));
          return;
        }
      }
      serveByRoute(req, res, handler, body);
    });
  };
}
