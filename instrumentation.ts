// Next.js calls register() once when a server instance starts, before it handles requests.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { prepareApp } = await import("./server/app-startup");
    await prepareApp();
    const { env } = await import("./server/env");
    const { SYNCLINE_INGEST_PORT, SYNCLINE_PUBLIC_URL, PORT } = env();
    if (typeof SYNCLINE_INGEST_PORT === "number") {
      // POST /api/events on its own plain node:http port, in this process (one database pool,
      // one NATS connection, one API key cache with the app): docs/decisions/0018.
      const [{ startIngestListener }, route] = await Promise.all([import("./server/http-api/ingest-listener"), import("./app/api/events/route")]);
      const host = SYNCLINE_PUBLIC_URL ? "0.0.0.0" : "127.0.0.1";
      try {
        const listener = await startIngestListener({
          port: SYNCLINE_INGEST_PORT,
          host,
          routes: { GET: route.GET, POST: route.POST, PUT: route.PUT, PATCH: route.PATCH, DELETE: route.DELETE },
          appUrl: SYNCLINE_PUBLIC_URL ?? `http://localhost:${PORT}`,
          https: SYNCLINE_PUBLIC_URL?.startsWith("https://") ?? false,
          log: (message) => console.error(message),
        });
        console.log(`[syncline] ingest listener: POST http://${host === "0.0.0.0" ? "<this host>" : "127.0.0.1"}:${listener.port}/api/events`);
      } catch (error) {
        // The app itself must still start: POST /api/events keeps working on PORT, only slower.
        console.error(
          `[syncline] the ingest listener could not listen on port ${SYNCLINE_INGEST_PORT} (${(error as Error).message}); ` +
            `POST /api/events is served on port ${PORT} only. Set SYNCLINE_INGEST_PORT to a free port, or to off.`,
        );
      }
    }
  }
}
