import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapSetter,
} from "@opentelemetry/api";
import type { MsgHdrs } from "@nats-io/transport-node";

// Syncline's spans (README "Traces", docs/decisions/0023): `ingest` per stored event, `run` per
// flow run, `step` per step and `outbound` per HTTP call, joined by W3C trace context carried in
// the NATS message headers. Every helper first checks `tracingEnabled()`: with tracing off (no
// OTEL_EXPORTER_OTLP_ENDPOINT) it calls straight through and allocates nothing.

/** Span names; stable, so dashboards and alerts can rely on them. */
export const SPAN_NAMES = { ingest: "ingest", run: "run", step: "step", outbound: "outbound" } as const;

// A global rather than a module variable: Next bundles instrumentation.ts (which starts tracing)
// apart from the route handlers that make spans, so each has its own copy of this module.
const ENABLED = Symbol.for("syncline.tracing.enabled");
type WithEnabled = { [ENABLED]?: boolean };

/** Whether start-tracing.ts registered an SDK in this process. */
export function tracingEnabled(): boolean {
  return (globalThis as WithEnabled)[ENABLED] === true;
}

export function markTracingEnabled(): void {
  (globalThis as WithEnabled)[ENABLED] = true;
}

const tracer = () => trace.getTracer("syncline");

/** The W3C propagator writes traceparent and tracestate into a NATS message's headers with this. */
const natsHeaderSetter: TextMapSetter<MsgHdrs> = { set: (headers, key, value) => headers.set(key, value) };

function recordFailure(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  else span.recordException(String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** The trace context a W3C `traceparent` (and `tracestate`) names, below `base`. */
function contextOf(traceparent: string, tracestate: string | null | undefined, base: Context = ROOT_CONTEXT): Context {
  return propagation.extract(base, tracestate ? { traceparent, tracestate } : { traceparent });
}

// ---------------------------------------------------------------------------------------------
// ingest

export interface IngestSpanEvent {
  id: string;
  type: string;
  source: string;
  subject: string;
  traceparent?: string;
  tracestate?: unknown;
}

/** The `ingest` span of one event: what to store in the event and write into its NATS headers. */
export interface IngestSpan {
  /** This span as a W3C traceparent, for an event that carries none of its own. */
  readonly traceparent: string | undefined;
  /** Writes this span's trace context (traceparent, tracestate) into the message's headers. */
  inject: (headers: MsgHdrs) => void;
}

/**
 * The `ingest` spans of one request, one per event: each event's trace continues the context the
 * event names (its CloudEvents `traceparent` extension), else the request's active span, else the
 * request's `traceparent` header, else it starts a trace. The run of the event is a child of it.
 */
export class IngestSpans {
  private readonly spans: Span[] = [];
  private readonly requestContext: Context;

  constructor(request: { traceparent?: string | null; tracestate?: string | null }) {
    const active = context.active();
    this.requestContext = trace.getSpan(active) || !request.traceparent ? active : contextOf(request.traceparent.trim(), request.tracestate, active);
  }

  /** Starts the span of an event about to be published on `natsSubject`. */
  start(event: IngestSpanEvent, natsSubject: string): IngestSpan {
    const parent = event.traceparent
      ? contextOf(event.traceparent, typeof event.tracestate === "string" ? event.tracestate : undefined)
      : this.requestContext;
    const span = tracer().startSpan(
      SPAN_NAMES.ingest,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          "cloudevents.event_id": event.id,
          "cloudevents.event_type": event.type,
          "cloudevents.event_source": event.source,
          "cloudevents.event_subject": event.subject,
          "syncline.ordering_key": event.subject,
          "messaging.system": "nats",
          "messaging.operation.type": "send",
          "messaging.destination.name": natsSubject,
          "messaging.message.id": event.id,
        },
      },
      parent,
    );
    this.spans.push(span);
    const spanContext = trace.setSpan(parent, span);
    const carrier: Record<string, string> = {};
    propagation.inject(spanContext, carrier);
    return {
      traceparent: carrier.traceparent,
      inject: (headers) => propagation.inject(spanContext, headers, natsHeaderSetter),
    };
  }

  /** Ends every span: the events are stored (`duplicate`: JetStream had the id already). */
  end(results: readonly { status: string }[]): void {
    this.spans.forEach((span, index) => {
      span.setAttribute("syncline.ingest.duplicate", results[index]?.status === "duplicate");
      span.end();
    });
  }

  /** Ends every span with the error that stopped the request. */
  fail(error: unknown): void {
    for (const span of this.spans) {
      recordFailure(span, error);
      span.end();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// run, step

export interface RunSpanAttributes {
  eventId: string;
  eventType: string;
  orderingKey: string;
  flowId: string;
  flowVersion: number;
  attempt: number;
  dryRun: boolean;
}

type RunOutcome = { status: string };

/**
 * Runs `run` inside a `run` span whose parent is the trace context in `traceHeaders` (the event's
 * NATS message headers: the ingest span's traceparent and tracestate).
 */
export function withRunSpan<T extends RunOutcome>(attributes: RunSpanAttributes, traceHeaders: Readonly<Record<string, string>>, run: () => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return run();
  const parent = propagation.extract(ROOT_CONTEXT, traceHeaders);
  const spanAttributes: Attributes = {
    "cloudevents.event_id": attributes.eventId,
    "cloudevents.event_type": attributes.eventType,
    "syncline.ordering_key": attributes.orderingKey,
    "syncline.flow.id": attributes.flowId,
    "syncline.flow.version": attributes.flowVersion,
    "syncline.run.attempt": attributes.attempt,
    ...(attributes.dryRun ? { "syncline.run.dry_run": true } : {}),
    "messaging.system": "nats",
    "messaging.operation.type": "process",
  };
  return tracer().startActiveSpan(SPAN_NAMES.run, { kind: SpanKind.CONSUMER, attributes: spanAttributes }, parent, async (span) => {
    try {
      const result = await run();
      span.setAttribute("syncline.run.status", result.status);
      const failure = (result as { error?: { message?: unknown } }).error;
      const failedNode = (result as { failedNodeId?: unknown }).failedNodeId;
      if (result.status === "failed") {
        if (typeof failedNode === "string") span.setAttribute("syncline.node.id", failedNode);
        span.setStatus({ code: SpanStatusCode.ERROR, message: typeof failure?.message === "string" ? failure.message : "the run failed" });
      }
      return result;
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Runs one step inside a `step` span, a child of the active `run` span. `isFailure` tells a real
 * failure from an error thrown as control flow (a delay).
 */
export function withStepSpan<T>(step: { nodeId: string; kind: string; attempt: number }, execute: () => Promise<T>, isFailure: (error: unknown) => boolean): Promise<T> {
  if (!tracingEnabled()) return execute();
  const attributes: Attributes = { "syncline.node.id": step.nodeId, "syncline.node.kind": step.kind, "syncline.step.attempt": step.attempt };
  return tracer().startActiveSpan(SPAN_NAMES.step, { attributes }, async (span) => {
    try {
      return await execute();
    } catch (error) {
      if (isFailure(error)) recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// outbound

// Query parameters that commonly carry credentials; their values never reach a span.
const SECRET_PARAMETER = /key|token|secret|password|passwd|signature|sig$|auth|credential|session|code/i;

/** The URL as a span may show it: no user name or password, secret-looking query values masked. */
export function maskedUrl(url: URL): string {
  const masked = new URL(url.href);
  if (masked.username) masked.username = "REDACTED";
  if (masked.password) masked.password = "REDACTED";
  for (const name of new Set(masked.searchParams.keys())) {
    if (SECRET_PARAMETER.test(name)) masked.searchParams.set(name, "REDACTED");
  }
  return masked.href;
}

/**
 * Sends an outside HTTP call inside an `outbound` span (a child of the active step) and gives
 * `send` the headers with that span's traceparent and tracestate, so the receiver continues the trace.
 */
export function withOutboundSpan<T extends { status: number }>(
  request: { method: string; url: URL; headers: Readonly<Record<string, string>> },
  send: (headers: Readonly<Record<string, string>>) => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return send(request.headers);
  const { url } = request;
  const attributes: Attributes = {
    "http.request.method": request.method,
    "url.full": maskedUrl(url),
    "server.address": url.hostname,
    "server.port": Number(url.port) || (url.protocol === "https:" ? 443 : 80),
  };
  return tracer().startActiveSpan(SPAN_NAMES.outbound, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const headers = { ...request.headers };
    propagation.inject(context.active(), headers);
    try {
      const response = await send(headers);
      span.setAttribute("http.response.status_code", response.status);
      if (response.status >= 400) {
        span.setAttribute("error.type", String(response.status));
        span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${response.status}` });
      }
      return response;
    } catch (error) {
      span.setAttribute("error.type", error instanceof Error ? error.name : "Error");
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}
