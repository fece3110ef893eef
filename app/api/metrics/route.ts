import { db } from "@/server/db/client";
import { env } from "@/server/env";
import { apiRoute } from "@/server/http-api/api-route";
import { sharedNats } from "@/server/nats/connection";
import { createPrometheusMetrics, PROMETHEUS_CONTENT_TYPE, type PrometheusMetrics } from "@/server/monitoring/prometheus-metrics";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";

export const dynamic = "force-dynamic";

// One set of metrics per process: counters must keep counting across scrapes.
const KEY = Symbol.for("syncline.monitoring.prometheus");
function metrics(): PrometheusMetrics {
  const g = globalThis as typeof globalThis & { [KEY]?: PrometheusMetrics };
  g[KEY] ??= createPrometheusMetrics({ db: db(), nats: sharedNats, layout: { prefix: env().SYNCLINE_PREFIX, partitions: env().SYNCLINE_PARTITIONS } });
  return g[KEY];
}

/** Prometheus text format; needs an API key like the rest of the automation API. */
export const GET = apiRoute({ role: "viewer", scope: "read" }, async () => {
  return new Response(await metrics().render(), { headers: { "Content-Type": PROMETHEUS_CONTENT_TYPE, "Cache-Control": "no-store" } });
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
