import { env } from "@/server/env";
import { markTracingEnabled } from "./spans";

// Starts OpenTelemetry tracing in this process, once, when OTEL_EXPORTER_OTLP_ENDPOINT is set
// (README "Traces", docs/decisions/0023). Unset, nothing of the SDK is loaded: the span helpers in
// spans.ts see tracing off and call straight through. Called by instrumentation.ts (the web app,
// and with it the ingest fast path and the serverless drain) and scripts/worker.ts (the worker).

export type TracedProcess = "web" | "worker";

export interface TracingHandle {
  /** Sends the spans still buffered and stops exporting. */
  shutdown: () => Promise<void>;
}

const STARTED = Symbol.for("syncline.tracing.started");
type WithStarted = { [STARTED]?: Promise<TracingHandle | undefined> };

/** Starts exporting spans over OTLP/HTTP (JSON) when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise does nothing and resolves undefined. */
export function startTracing(role: TracedProcess): Promise<TracingHandle | undefined> {
  const config = env();
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT) return Promise.resolve(undefined);
  // Next bundles instrumentation.ts apart from the routes; a global keeps it to one provider per process.
  const holder = globalThis as WithStarted;
  holder[STARTED] ??= start(role, config.OTEL_SERVICE_NAME ?? "syncline", Boolean(config.VERCEL));
  return holder[STARTED];
}

async function start(role: TracedProcess, serviceName: string, onVercel: boolean): Promise<TracingHandle> {
  if (onVercel) {
    // Vercel's own wrapper around the same SDK: it knows the platform's flush points.
    const { registerOTel } = await import("@vercel/otel");
    registerOTel({ serviceName, attributes: { "syncline.process": role } });
    markTracingEnabled();
    return { shutdown: async () => {} };
  }
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { W3CTraceContextPropagator, diagLogLevelFromString }, resources, api] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/core"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/api"),
  ]);
  // The SDK reports a collector it cannot reach (or dropped spans) only through its diagnostic
  // logger; without one that would be silent. OTEL_LOG_LEVEL changes the level (default warn).
  api.diag.setLogger(new api.DiagConsoleLogger(), { logLevel: diagLogLevelFromString(process.env.OTEL_LOG_LEVEL) ?? api.DiagLogLevel.WARN, suppressOverrideMessage: true });
  const provider = new NodeTracerProvider({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env detector) win over these defaults.
    resource: resources
      .defaultResource()
      .merge(resources.resourceFromAttributes({ "service.name": serviceName, "syncline.process": role }))
      .merge(resources.detectResources({ detectors: [resources.envDetector] })),
    // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (posting to <it>/v1/traces) and OTEL_EXPORTER_OTLP_HEADERS;
    // the batch processor OTEL_BSP_* (by default it sends every 5 s or per 512 spans).
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // W3C Trace Context (traceparent + tracestate) for the NATS headers and outbound calls; the
  // AsyncLocalStorage context manager carries the active span through awaits.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  markTracingEnabled();
  return { shutdown: () => provider.shutdown() };
}
