import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture } from "@/server/runtime/testing/runtime-fixture";
import { waitUntil } from "@/server/testing/wait-until";
import type { TracingHandle } from "./start-tracing";

// OpenTelemetry traces end to end (README "Traces"), all real: POST /api/events through its route
// handler in this process (tracing started as instrumentation.ts starts it), a worker process
// (started by scripts/worker.ts) with its own nats-server and database, an outside system that
// records the headers it gets, and a local OTLP/HTTP receiver that collects what both export.

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: OtlpAttribute[];
  status?: { code?: number; message?: string };
  events?: { name: string; attributes: OtlpAttribute[] }[];
  /** Resource attributes of the process that sent it. */
  resource: Record<string, unknown>;
}

const valueOf = (value: OtlpAttribute["value"]) =>
  value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : value.boolValue);
const attributesOf = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** A collector's OTLP/HTTP endpoint: POST /v1/traces with a JSON ExportTraceServiceRequest. */
class OtlpReceiver {
  readonly spans: OtlpSpan[] = [];
  contentTypes = new Set<string>();
  private server?: Server;

  async start() {
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      this.contentTypes.add(String(req.headers["content-type"]));
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: Omit<OtlpSpan, "resource">[] }[] }[];
      };
      for (const resourceSpans of body.resourceSpans) {
        const resource = attributesOf(resourceSpans.resource.attributes);
        for (const scope of resourceSpans.scopeSpans) for (const span of scope.spans) this.spans.push({ ...span, resource });
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
  }

  get url() {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  inTrace(traceId: string) {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  async stop() {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The outside system: answers 200 (422 for sku "POISON", 503 to the first call for a sku starting "FLAKY") and keeps the headers of every call. */
class HeaderRecorder {
  readonly calls: { headers: IncomingHttpHeaders; body: { sku?: string } }[] = [];
  private server?: Server;

  async start() {
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { sku?: string };
      this.calls.push({ headers: req.headers, body });
      const earlier = this.calls.filter((c) => c.body.sku === body.sku).length;
      if (body.sku?.startsWith("FLAKY") && earlier === 1) res.writeHead(503, { "content-type": "application/json" }).end('{"error":"busy"}');
      else if (body.sku === "POISON") res.writeHead(422, { "content-type": "application/json" }).end('{"error":"unknown sku"}');
      else res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
  }

  get url() {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop() {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

type Handler = (request: Request, context: { params: Promise<Record<string, never>> }) => Promise<Response>;

const otlp = new OtlpReceiver();
const outside = new HeaderRecorder();
let fixture: RuntimeFixture;
let tracing: TracingHandle | undefined;
let POST: Handler;
let apiKey: string;
let flowId: string;

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

beforeAll(async () => {
  await Promise.all([otlp.start(), outside.start()]);
  // Before the fixture: its worker processes inherit this environment.
  Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: "50" });
  fixture = await startRuntimeFixture({ partitions: 2 });
  Object.assign(process.env, {
    DATABASE_URL: fixture.database.url,
    NATS_URL: fixture.nats.url,
    SYNCLINE_PREFIX: fixture.layout.prefix,
    SYNCLINE_PARTITIONS: String(fixture.layout.partitions),
    SYNCLINE_HTTP_ALLOWLIST: "127.0.0.1",
  });
  const { startTracing } = await import("./start-tracing");
  tracing = await startTracing("web");
  apiKey = (await createApiKey(fixture.database.prisma, "traces test")).key;
  flowId = await fixture.deployFlow(stockToReceiverFlow(outside.url, { attempts: 1 }));
  POST = (await import("@/app/api/events/route")).POST as Handler;
  await fixture.startWorkerProcess();
}, 120_000);

afterAll(async () => {
  await tracing?.shutdown();
  const { closeSharedNats } = await import("@/server/nats/connection");
  await closeSharedNats();
  const { db } = await import("@/server/db/client");
  await db().$disconnect();
  await fixture?.close();
  await Promise.all([otlp.stop(), outside.stop()]);
});

async function postEvent(event: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await POST(
    new Request("http://localhost/api/events", {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/cloudevents+json", ...headers },
      body: new TextEncoder().encode(JSON.stringify(event)),
    }),
    { params: Promise.resolve({}) },
  );
  expect(response.status).toBe(202);
}

function stockEvent(sku: string, extra: Record<string, unknown> = {}) {
  return { specversion: "1.0", id: `evt-${randomUUID()}`, source: "test/erp", type: "stock.changed", subject: sku, data: { sku, quantity: 7 }, ...extra };
}

/** Waits until the trace has exactly these spans (by name). */
async function spansOf(traceId: string, expected: string[]) {
  expected = [...expected].sort();
  await waitUntil(
    () => otlp.inTrace(traceId).map((s) => s.name).sort().join() === expected.join(),
    30_000,
    `the spans ${expected.join(", ")} of trace ${traceId}`,
    () => ({ got: otlp.inTrace(traceId).map((s) => s.name), contentTypes: [...otlp.contentTypes] }),
  );
  return otlp.inTrace(traceId);
}

/** Waits for the whole trace: ingest, run, the trigger's and the call's steps, and the call. */
async function traceOf(traceId: string) {
  const spans = await spansOf(traceId, ["ingest", "outbound", "run", "step", "step"]);
  const one = (name: string, where: (s: OtlpSpan) => boolean = () => true) => {
    const found = spans.filter((s) => s.name === name && where(s));
    expect(found, name).toHaveLength(1);
    return found[0]!;
  };
  const ingest = one("ingest");
  const run = one("run");
  return {
    ingest,
    run,
    trigger: one("step", (s) => attributesOf(s.attributes)["syncline.node.id"] === "trigger"),
    deliver: one("step", (s) => attributesOf(s.attributes)["syncline.node.id"] === "deliver"),
    outbound: one("outbound"),
  };
}

describe("OpenTelemetry traces", () => {
  it("shows an event from POST /api/events to the outside call in one trace, each span a child of the one before", async () => {
    const traceId = hex(16);
    const clientSpanId = hex(8);
    const sku = `SKU-${hex(3)}`;
    const event = stockEvent(sku);
    await postEvent(event, { traceparent: `00-${traceId}-${clientSpanId}-01`, tracestate: "acme=checkout" });

    const { ingest, run, trigger, deliver, outbound } = await traceOf(traceId);
    expect(ingest.parentSpanId).toBe(clientSpanId);
    expect(run.parentSpanId).toBe(ingest.spanId);
    expect(trigger.parentSpanId).toBe(run.spanId);
    expect(deliver.parentSpanId).toBe(run.spanId);
    expect(outbound.parentSpanId).toBe(deliver.spanId);

    // The outside system got the outbound span's context, tracestate included, so it can continue the trace.
    const call = outside.calls.find((c) => c.body.sku === sku);
    expect(call?.headers.traceparent).toBe(`00-${traceId}-${outbound.spanId}-01`);
    expect(call?.headers.tracestate).toBe("acme=checkout");

    expect(attributesOf(ingest.attributes)).toMatchObject({ "cloudevents.event_id": event.id, "cloudevents.event_type": "stock.changed", "syncline.ordering_key": sku, "syncline.ingest.duplicate": false });
    expect(attributesOf(run.attributes)).toMatchObject({ "cloudevents.event_id": event.id, "syncline.ordering_key": sku, "syncline.flow.id": flowId, "syncline.flow.version": 1, "syncline.run.status": "succeeded" });
    expect(attributesOf(deliver.attributes)).toMatchObject({ "syncline.node.kind": "action:http-request", "syncline.step.attempt": 1 });
    expect(attributesOf(outbound.attributes)).toMatchObject({ "http.request.method": "POST", "url.full": `${outside.url}/stock`, "http.response.status_code": 200 });
    // Ingest in the web process, the rest in the worker.
    expect(ingest.resource).toMatchObject({ "service.name": "syncline", "syncline.process": "web" });
    expect(run.resource).toMatchObject({ "service.name": "syncline", "syncline.process": "worker" });
  });

  it("continues the trace an event names itself (its traceparent extension), and the run continues the ingest span", async () => {
    const traceId = hex(16);
    const producerSpanId = hex(8);
    await postEvent(stockEvent(`SKU-${hex(3)}`, { traceparent: `00-${traceId}-${producerSpanId}-01` }), { traceparent: `00-${hex(16)}-${hex(8)}-01` });

    const { ingest, run, outbound } = await traceOf(traceId);
    expect(ingest.parentSpanId).toBe(producerSpanId);
    expect(run.parentSpanId).toBe(ingest.spanId);
    expect(outbound.traceId).toBe(traceId);
  });

  it("puts a retry of a held event in the same trace: a second run, also a child of the ingest span", async () => {
    const traceId = hex(16);
    const sku = `FLAKY-${hex(3)}`;
    await postEvent(stockEvent(sku), { traceparent: `00-${traceId}-${hex(8)}-01`, tracestate: "acme=retry" });

    // The trigger's step runs once: the retry reuses its record and runs the call's step again.
    const spans = await spansOf(traceId, ["ingest", "run", "run", "step", "step", "step", "outbound", "outbound"]);
    const ingest = spans.find((s) => s.name === "ingest")!;
    const runs = spans.filter((s) => s.name === "run");
    expect(runs.map((run) => run.parentSpanId)).toEqual([ingest.spanId, ingest.spanId]);
    expect(runs.map((run) => attributesOf(run.attributes)["syncline.run.status"]).sort()).toEqual(["failed", "succeeded"]);
    const outbound = spans.filter((s) => s.name === "outbound").map((s) => attributesOf(s.attributes)["http.response.status_code"]);
    expect(outbound.sort()).toEqual([200, 503]);
    // The retry read the trace context back from the held event's stored headers, tracestate included.
    const calls = outside.calls.filter((c) => c.body.sku === sku);
    expect(calls.map((c) => c.headers.tracestate)).toEqual(["acme=retry", "acme=retry"]);
  });

  it("marks a refused call as an error on the outbound span, its step (with the exception) and the run", async () => {
    const traceId = hex(16);
    await postEvent(stockEvent("POISON"), { traceparent: `00-${traceId}-${hex(8)}-01` });

    const { run, deliver, outbound } = await traceOf(traceId);
    const ERROR = 2;
    expect(outbound.status).toMatchObject({ code: ERROR, message: "HTTP 422" });
    expect(attributesOf(outbound.attributes)).toMatchObject({ "http.response.status_code": 422, "error.type": "422" });
    expect(deliver.status?.code).toBe(ERROR);
    const exception = deliver.events?.find((e) => e.name === "exception");
    expect(attributesOf(exception?.attributes)["exception.message"]).toMatch(/422/);
    expect(run.status?.code).toBe(ERROR);
    expect(attributesOf(run.attributes)).toMatchObject({ "syncline.run.status": "failed", "syncline.node.id": "deliver" });
  });
});
