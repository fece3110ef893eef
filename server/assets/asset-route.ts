// No `import "server-only"`: importable by tests and tools as well as the route.
import type { NatsConnection } from "@nats-io/transport-node";
import { assetEtag, contentTypeForKey, isValidAssetKey, openAssetStore } from "./asset-store";
import { withDeadline } from "@/server/nats/deadline";

// GET /api/assets/<key>: serves a stored image variant. Keys are content-addressed, so a key's
// bytes never change and browsers and CDNs may keep them for a year without asking again.
// Public on purpose: sales channels and storefronts fetch these URLs without credentials; keys
// carry the source's sha256, so they cannot be enumerated.

const ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable";
const DEFAULT_NATS_TIMEOUT_MS = 3_000;

export interface AssetRouteDeps {
  /** The NATS connection (the web app's shared one); may reject when NATS is unreachable. */
  nats: () => Promise<NatsConnection>;
  /** SYNCLINE_PREFIX. */
  prefix: () => string;
  /** How long to wait for NATS before answering 503. Default 3 s. */
  timeoutMs?: number;
}

type RouteContext = { params: Promise<{ key?: string[] | string }> };

function problem(status: number, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { message } }, { status, headers: { "Cache-Control": "no-store", ...headers } });
}


/** Whether an If-None-Match header value matches the ETag (weak comparison, `*` included). */
function matchesEtag(header: string | null, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, "");
    return tag === "*" || tag === etag;
  });
}

/** Builds the route's GET handler with its dependencies injected (the route file passes the real ones). */
export function createAssetRoute(deps: AssetRouteDeps) {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_NATS_TIMEOUT_MS;
  return async function GET(request: Request, context: RouteContext): Promise<Response> {
    const { key: raw } = await context.params;
    const segments = Array.isArray(raw) ? raw : raw ? [raw] : [];
    let key: string;
    try {
      // Next hands over decoded segments; decoding once more catches a double-encoded `%2e%2e`.
      key = segments.map((segment) => decodeURIComponent(segment)).join("/");
    } catch {
      return problem(400, "The asset key is not valid: it contains a malformed %-escape.");
    }
    if (!isValidAssetKey(key)) {
      return problem(400, "The asset key is not valid: it may only hold letters, digits, '-', '_', '.' and '/', and no '..'.");
    }
    const contentType = contentTypeForKey(key);
    if (!contentType) return problem(404, `No asset is stored under "${key}".`);

    let store;
    let info;
    try {
      const nc = await withDeadline(deps.nats(), timeoutMs, `NATS did not answer within ${timeoutMs} ms`);
      store = await withDeadline(openAssetStore(nc, deps.prefix(), { create: false }), timeoutMs, `NATS did not answer within ${timeoutMs} ms`);
      info = store ? await withDeadline(store.info(key), timeoutMs, `The NATS object store did not answer within ${timeoutMs} ms`) : null;
    } catch (error) {
      console.warn(`[syncline] GET /api/assets/${key}: NATS is unavailable:`, error instanceof Error ? error.message : error);
      return problem(503, "Asset storage (NATS) is not reachable right now; try again shortly.", { "Retry-After": "5" });
    }
    if (!store || !info || info.deleted) return problem(404, `No asset is stored under "${key}".`);

    const etag = assetEtag(info);
    const headers: Record<string, string> = {
      "Content-Type": contentType,
      "Cache-Control": ASSET_CACHE_CONTROL,
      ETag: etag,
      "Last-Modified": new Date(info.mtime).toUTCString(),
      "X-Content-Type-Options": "nosniff",
    };
    if (matchesEtag(request.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers });
    if (request.method === "HEAD") return new Response(null, { status: 200, headers: { ...headers, "Content-Length": String(info.size) } });

    let result;
    try {
      result = await withDeadline(store.get(key), timeoutMs, `The NATS object store did not answer within ${timeoutMs} ms`);
    } catch {
      return problem(503, "Asset storage (NATS) is not reachable right now; try again shortly.", { "Retry-After": "5" });
    }
    if (!result) return problem(404, `No asset is stored under "${key}".`);
    return new Response(result.data, { status: 200, headers: { ...headers, "Content-Length": String(result.info.size) } });
  };
}
