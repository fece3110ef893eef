// The web app's HTTP server for `npm start` and Docker: Next.js behind a plain node:http server on
// one port, so `POST /api/events` can skip Next's per-request machinery (the ingest fast path,
// docs/decisions/0018). Everything else — pages, tRPC, the other API routes — is Next's own
// request handler, unchanged. Vercel and `npm run dev` run Next without this file.
//
// `npm start` runs it in the launcher's own process (scripts/start.ts, docs/decisions/0043); on its own:
//
//   node scripts/web-server.mjs --port 3000 --hostname 127.0.0.1
import http from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// instrumentation.ts leaves the fast path on globalThis (server/http-api/ingest-fast-path.ts) once
// Next has started the app's server code, which Next may do only on the first request.
const FAST_PATH = Symbol.for("syncline.ingest-fast-path");
// With tracing on, instrumentation.ts leaves its handle here (server/tracing/start-tracing.ts):
// spans still buffered are sent before the process exits.
const TRACING = Symbol.for("syncline.tracing.started");

/**
 * Starts Next (production build) and the server in front of it; resolves once it listens.
 * `close()` finishes the requests in flight, then lets Next close what it holds and sends the
 * traces still buffered.
 */
export async function startWebServer({ port, hostname }) {
  process.env.NODE_ENV ??= "production";
  const { default: next } = await import("next");
  const app = next({ dev: false, dir: root, hostname, port });
  const handle = app.getRequestHandler();
  await app.prepare();

  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    const fastPath = globalThis[FAST_PATH];
    if (fastPath && (url === "/api/events" || url.startsWith("/api/events?"))) fastPath(req, res);
    else void handle(req, res);
  });
  // Keep-alive connections from senders outlive Node's 5 s default between bursts.
  server.keepAliveTimeout = 65_000;
  await new Promise((resolve, reject) => {
    server.once("error", (error) => reject(new Error(`the web app cannot listen on ${hostname}:${port}: ${error.message}`)));
    server.listen(port, hostname, resolve);
  });
  console.log(`[syncline] web app on http://${hostname}:${port}`);

  // Finish the requests in flight, then let Next close what it holds and send the buffered traces.
  const finish = async () => {
    const drained = new Promise((resolve) => server.close(resolve));
    server.closeIdleConnections();
    // Open streams (the pages' live updates) would keep it waiting: after 10 s they are cut.
    const cut = setTimeout(() => server.closeAllConnections(), 10_000);
    await drained;
    clearTimeout(cut);
    await Promise.resolve(app.close()).catch(() => undefined);
    await Promise.resolve(globalThis[TRACING]).then((tracing) => tracing?.shutdown()).catch(() => undefined);
  };
  let closed;
  return {
    close() {
      // Whatever Next is still closing 12 s after the stop began, the stop is done.
      closed ??= Promise.race([finish(), new Promise((resolve) => setTimeout(resolve, 12_000).unref())]);
      return closed;
    },
  };
}

// `node scripts/web-server.mjs --port … --hostname …` (Docker Compose's web service).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: "string" }, hostname: { type: "string" } } });
  const web = await startWebServer({ port: Number(values.port ?? process.env.PORT ?? 3000), hostname: values.hostname ?? "0.0.0.0" }).catch((error) => {
    console.error(`[syncline] ${error.message}`);
    process.exit(1);
  });
  const stop = () => void web.close().finally(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
