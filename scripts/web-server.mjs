// The web app's HTTP server for `npm start` and Docker: Next.js behind a plain node:http server on
// one port, so `POST /api/events` can skip Next's per-request machinery (the ingest fast path,
// docs/decisions/0018). Everything else — pages, tRPC, the other API routes — is Next's own
// request handler, unchanged. Vercel and `npm run dev` run Next without this file.
//
//   node scripts/web-server.mjs --port 3000 --hostname 127.0.0.1
import http from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

process.env.NODE_ENV ??= "production";
const { values } = parseArgs({ options: { port: { type: "string" }, hostname: { type: "string" } } });
const port = Number(values.port ?? process.env.PORT ?? 3000);
const hostname = values.hostname ?? "0.0.0.0";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const { default: next } = await import("next");
const app = next({ dev: false, dir: root, hostname, port });
const handle = app.getRequestHandler();
await app.prepare();
// instrumentation.ts leaves the fast path on globalThis (server/http-api/ingest-fast-path.ts) once
// Next has started the app's server code, which Next may do only on the first request.
const FAST_PATH = Symbol.for("syncline.ingest-fast-path");

const server = http.createServer((req, res) => {
  const url = req.url ?? "/";
  const fastPath = globalThis[FAST_PATH];
  if (fastPath && (url === "/api/events" || url.startsWith("/api/events?"))) fastPath(req, res);
  else void handle(req, res);
});
// Keep-alive connections from senders outlive Node's 5 s default between bursts.
server.keepAliveTimeout = 65_000;
server.on("error", (error) => {
  console.error(`[syncline] the web app cannot listen on ${hostname}:${port}: ${error.message}`);
  process.exit(1);
});
server.listen(port, hostname, () => console.log(`[syncline] web app on http://${hostname}:${port}`));

// With tracing on, instrumentation.ts leaves its handle here (server/tracing/start-tracing.ts):
// spans still buffered are sent before the process exits.
const TRACING = Symbol.for("syncline.tracing.started");
const flushTraces = async () => (await globalThis[TRACING])?.shutdown().catch(() => undefined);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  // Finish the requests in flight, then let Next close what it holds.
  server.close(() => void app.close().finally(flushTraces).finally(() => process.exit(0)));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 10_000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
