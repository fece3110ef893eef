// Next.js calls register() once when a server instance starts, before it handles requests.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    // OpenTelemetry traces when OTEL_EXPORTER_OTLP_ENDPOINT is set (README "Traces"); otherwise nothing is loaded.
    const { startTracing } = await import("./server/tracing/start-tracing");
    await startTracing("web");
    const { prepareApp } = await import("./server/app-startup");
    await prepareApp();
    const { env } = await import("./server/env");
    const { SYNCLINE_PUBLIC_URL, SYNCLINE_WORKER } = env();
    // Serverless mode drains after the answer with Next's after(), which needs Next's request
    // context: its ingest stays on the Next route.
    if (SYNCLINE_WORKER === "on") {
      // The ingest fast path for scripts/web-server.mjs (docs/decisions/0018); `next start` alone
      // never looks for it.
      const [{ createIngestFastPath, INGEST_FAST_PATH }, route] = await Promise.all([import("./server/http-api/ingest-fast-path"), import("./app/api/events/route")]);
      (globalThis as Record<symbol, unknown>)[INGEST_FAST_PATH] = createIngestFastPath({
        routes: { GET: route.GET, POST: route.POST, PUT: route.PUT, PATCH: route.PATCH, DELETE: route.DELETE },
        https: SYNCLINE_PUBLIC_URL?.startsWith("https://") ?? false,
        log: (message) => console.error(message),
      });
    }
  }
}
