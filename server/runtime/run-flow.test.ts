import { getEventListeners } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import * as z from "zod";
import { builtInEventTypes, type CloudEvent } from "../events/event-types";
import type { FlowDocument } from "../flows/flow-document";
import { validateFlow } from "../flows/validate-flow";
import { defineExecutor, type ExecutionContext, type ExecutionResult } from "../nodes/define-executor";
import { defineNode } from "../nodes/define-node";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { createExecutorRegistry, executorRegistry } from "../nodes/executors";
import { createRegistry, nodeDefinitions } from "../nodes/registry";
import { retryPolicyField } from "../nodes/retry-policy";
import { defaultIdempotencyKey, MAX_RECORDED_BYTES, runFlow, type FlowRunResult, type RunFlowInput, type StepRecord } from "./run-flow";

// A probe node records every call; tests give it behaviour per node id.
const probeNode = defineNode({
  kind: "action:probe",
  version: 1,
  label: "Probe",
  description: "Test node",
  icon: "braces",
  category: "Data",
  config: z.object({ timeoutMs: z.number().int().optional(), retry: retryPolicyField({ attempts: 3 }) }),
  output: z.record(z.string(), z.unknown()),
});

type ProbeContext = ExecutionContext<z.output<typeof probeNode.config>>;
let calls: { nodeId: string; attempt: number; idempotencyKey: string; steps: Record<string, unknown> }[] = [];
let behaviours: Record<string, (context: ProbeContext) => Promise<ExecutionResult<Record<string, unknown>>>> = {};

const probeExecutor = defineExecutor(probeNode, async (context) => {
  calls.push({ nodeId: context.nodeId, attempt: context.attempt, idempotencyKey: context.idempotencyKey, steps: context.steps });
  const behaviour = behaviours[context.nodeId];
  return behaviour ? behaviour(context) : { output: { ran: context.nodeId } };
});

const nodes = createRegistry([...nodeDefinitions, probeNode]);
const executors = createExecutorRegistry([...executorRegistry.executors, probeExecutor], nodes);

type NodeSpec = [id: string, kind: string, config?: Record<string, unknown>];
type EdgeSpec = [source: string, target: string, handle?: string];

function flow(nodeSpecs: NodeSpec[], edgeSpecs: EdgeSpec[], { validate = true } = {}): FlowDocument {
  const document: FlowDocument = {
    schemaVersion: 1,
    name: "test flow",
    nodes: nodeSpecs.map(([id, kind, config = {}]) => ({ id, kind, version: 1, config, position: { x: 0, y: 0 } })),
    edges: edgeSpecs.map(([source, target, handle]) => ({ id: `${source}->${target}${handle ? `:${handle}` : ""}`, source, target, ...(handle ? { sourceHandle: handle } : {}) })),
    settings: { orderingPolicy: "hold" },
  };
  if (validate) expect(validateFlow(document, nodes).problems).toEqual([]);
  return document;
}

const stockEvent = builtInEventTypes["stock.changed"].example; // quantity 0, warehouse AMS-1
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

function run(document: FlowDocument, overrides: Partial<RunFlowInput> = {}): Promise<FlowRunResult> {
  return runFlow({
    flowId: "flow-1",
    flowVersion: 1,
    document,
    event: stockEvent,
    traceparent: TRACEPARENT,
    attempt: 1,
    executors,
    services: { httpAllowlist: ["127.0.0.1"] },
    ...overrides,
  });
}

function withQuantity(quantity: number): CloudEvent {
  return { ...stockEvent, data: { ...(stockEvent.data as object), quantity } };
}

const ran = () => calls.map((call) => call.nodeId);
const stepIds = (result: FlowRunResult) => result.steps.map((step) => step.nodeId);
const completed = (steps: StepRecord[]) => steps.filter((step) => step.status !== "failed");

// A receiver on 127.0.0.1 for the HTTP steps.
let server: Server;
let base: string;
let received: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
let flakyFailures = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ url: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      if (request.url === "/flaky" && flakyFailures > 0) {
        flakyFailures--;
        response.writeHead(503, { "content-type": "application/json" });
        return response.end('{"error":"channel offline"}');
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ accepted: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  calls = [];
  behaviours = {};
  received = [];
  flakyFailures = 0;
});

afterEach(() => {
  vi.useRealTimers();
});

describe("runFlow: branches", () => {
  const document = flow(
    [
      ["trigger", "trigger:stock.changed"],
      ["inStock", "logic:condition", { expression: "event.data.quantity > 0" }],
      ["restock", "action:probe"],
      ["sell", "action:probe"],
    ],
    [
      ["trigger", "inStock"],
      ["inStock", "sell", "true"],
      ["inStock", "restock", "false"],
    ],
  );

  it("follows only the branch the condition chose", async () => {
    const outOfStock = await run(document, { event: withQuantity(0) });
    expect(outOfStock.status).toBe("succeeded");
    expect(ran()).toEqual(["restock"]);
    expect(outOfStock.steps.find((s) => s.nodeId === "inStock")).toMatchObject({ status: "succeeded", output: { result: false }, branch: "false" });

    calls = [];
    await run(document, { event: withQuantity(7) });
    expect(ran()).toEqual(["sell"]);
  });

  it("follows the switch case equal to the value, or the default branch", async () => {
    const routed = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["warehouse", "logic:switch", { value: "event.data.warehouse", cases: [{ id: "ams", equals: "AMS-1" }, { id: "ber", equals: "BER-1" }] }],
        ["amsterdam", "action:probe"],
        ["berlin", "action:probe"],
        ["elsewhere", "action:probe"],
      ],
      [
        ["trigger", "warehouse"],
        ["warehouse", "amsterdam", "ams"],
        ["warehouse", "berlin", "ber"],
        ["warehouse", "elsewhere", "default"],
      ],
    );
    await run(routed);
    await run(routed, { event: { ...stockEvent, data: { sku: "SKU-1001", quantity: 1, warehouse: "BER-1" } } });
    await run(routed, { event: { ...stockEvent, data: { sku: "SKU-1001", quantity: 1, warehouse: "LON-1" } } });
    expect(ran()).toEqual(["amsterdam", "berlin", "elsewhere"]);
  });

  it("stops as skipped when the trigger's filter does not match", async () => {
    const filtered = flow(
      [
        ["trigger", "trigger:stock.changed", { filter: "event.data.quantity <= 0" }],
        ["markSoldOut", "action:probe"],
      ],
      [["trigger", "markSoldOut"]],
    );
    const result = await run(filtered, { event: withQuantity(3) });
    expect(result.status).toBe("skipped");
    expect(result.steps).toMatchObject([{ nodeId: "trigger", status: "skipped", branch: null }]);
    expect(ran()).toEqual([]);

    expect((await run(filtered, { event: withQuantity(0) })).status).toBe("succeeded");
    expect(ran()).toEqual(["markSoldOut"]);
  });

  it("runs the targets of several edges one after another, in edge order, each branch to its end first", async () => {
    const fanOut = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["shop", "action:probe"],
        ["shopDone", "action:probe"],
        ["marketplace", "action:probe"],
      ],
      [
        ["trigger", "shop"],
        ["trigger", "marketplace"],
        ["shop", "shopDone"],
      ],
    );
    const result = await run(fanOut);
    expect(ran()).toEqual(["shop", "shopDone", "marketplace"]);
    expect(stepIds(result)).toEqual(["trigger", "shop", "shopDone", "marketplace"]);
  });
});

describe("runFlow: diamonds", () => {
  it("runs a node reached twice once, after all its predecessors", async () => {
    const diamond = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["left", "action:probe"],
        ["right", "action:probe"],
        ["rightMore", "action:probe"],
        ["join", "action:probe"],
        ["after", "action:probe"],
      ],
      [
        ["trigger", "left"],
        ["trigger", "right"],
        ["left", "join"],
        ["right", "rightMore"],
        ["rightMore", "join"],
        ["join", "after"],
      ],
    );
    const result = await run(diamond);
    expect(result.status).toBe("succeeded");
    expect(ran()).toEqual(["left", "right", "rightMore", "join", "after"]);
    expect(Object.keys(calls.find((c) => c.nodeId === "join")!.steps).sort()).toEqual(["left", "right", "rightMore", "trigger"]);
  });

  it("runs a join after a condition once, without waiting for the branch that was not taken", async () => {
    const joined = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["soldOut", "logic:condition", { expression: "event.data.quantity <= 0" }],
        ["delist", "action:probe"],
        ["update", "action:probe"],
        ["notify", "action:probe"],
      ],
      [
        ["trigger", "soldOut"],
        ["soldOut", "delist", "true"],
        ["soldOut", "update", "false"],
        ["delist", "notify"],
        ["update", "notify"],
      ],
    );
    await run(joined);
    expect(ran()).toEqual(["delist", "notify"]);
  });
});

describe("runFlow: data between steps", () => {
  it("gives later steps the outputs of earlier ones: a transform feeds an HTTP body", async () => {
    const document = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["prepare", "action:transform", { fields: '{"sku": event.data.sku, "available": event.data.quantity > 0, "channel": "shop"}' }],
        ["call", "action:http-request", { method: "POST", url: `${base}/stock/{{ steps.prepare.sku }}`, body: '{"product": steps.prepare.sku, "available": steps.prepare.available}' }],
      ],
      [
        ["trigger", "prepare"],
        ["prepare", "call"],
      ],
    );
    const result = await run(document);
    expect(result.status).toBe("succeeded");
    expect(received).toHaveLength(1);
    expect(received[0]!.url).toBe("/stock/SKU-1001");
    expect(JSON.parse(received[0]!.body)).toEqual({ product: "SKU-1001", available: false });
    expect(received[0]!.headers["idempotency-key"]).toBe(`${stockEvent.id}:flow-1:v1:call`);
    expect(received[0]!.headers.traceparent).toBe(TRACEPARENT);
    expect(result.steps[1]).toMatchObject({ nodeId: "prepare", kind: "action:transform", attempt: 1, output: { sku: "SKU-1001", available: false, channel: "shop" } });
    expect(result.steps[2]).toMatchObject({ nodeId: "call", status: "succeeded", output: { status: 200, body: { accepted: true } }, idempotencyKey: `${stockEvent.id}:flow-1:v1:call` });
    expect(result.steps[2]!.input).toMatchObject({ method: "POST", timeoutMs: 10_000 });
  });

  it("caps recorded outputs, but later steps still see the whole output", async () => {
    const big = "x".repeat(MAX_RECORDED_BYTES);
    behaviours.produce = async () => ({ output: { big } });
    behaviours.consume = async (context) => ({ output: { length: ((context.steps.produce as { big: string }).big).length } });
    const document = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["produce", "action:probe"],
        ["consume", "action:probe"],
      ],
      [
        ["trigger", "produce"],
        ["produce", "consume"],
      ],
    );
    const result = await run(document);
    expect(result.steps[1]!.output).toEqual({ truncated: true, bytes: MAX_RECORDED_BYTES + 10 });
    expect(result.steps[2]!.output).toEqual({ length: MAX_RECORDED_BYTES });
  });

  it("caps recorded outputs by their UTF-8 bytes, not their characters", async () => {
    const fits = "é".repeat(MAX_RECORDED_BYTES / 2 - 20); // 2 bytes each
    const over = "é".repeat(MAX_RECORDED_BYTES / 2);
    behaviours.fits = async () => ({ output: { text: fits } });
    behaviours.over = async () => ({ output: { text: over } });
    const document = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["fits", "action:probe"],
        ["over", "action:probe"],
      ],
      [
        ["trigger", "fits"],
        ["fits", "over"],
      ],
    );
    const result = await run(document);
    expect(result.steps[1]!.output).toEqual({ text: fits });
    expect(result.steps[2]!.output).toEqual({ truncated: true, bytes: MAX_RECORDED_BYTES + 11 });
  });

  it("redacts secret header values in the recorded input", async () => {
    const document = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["call", "action:http-request", { url: `${base}/x`, headers: { Authorization: "Bearer s3cret", "X-Channel": "shop" } }],
      ],
      [["trigger", "call"]],
    );
    const result = await run(document);
    expect(received[0]!.headers.authorization).toBe("Bearer s3cret");
    expect(result.steps[1]!.input).toMatchObject({ headers: { Authorization: "[redacted]", "X-Channel": "shop" } });
  });
});

describe("runFlow: delays", () => {
  const document = flow(
    [
      ["trigger", "trigger:stock.changed"],
      ["first", "action:probe"],
      ["wait", "logic:delay", { duration: "5m" }],
      ["afterWait", "action:probe"],
      ["side", "action:probe"],
    ],
    [
      ["trigger", "first"],
      ["first", "wait"],
      ["wait", "afterWait"],
      ["trigger", "side"],
    ],
  );

  it("suspends at a delay, finishes branches that do not depend on it, then resumes after it without re-running anything", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-03-12T09:30:00Z"));

    const suspended = await run(document);
    expect(suspended.status).toBe("suspended");
    if (suspended.status !== "suspended") return;
    expect(suspended.resumeAt.toISOString()).toBe("2026-03-12T09:35:00.000Z");
    expect(ran()).toEqual(["first", "side"]);
    expect(suspended.steps.find((s) => s.nodeId === "wait")).toMatchObject({
      status: "suspended",
      output: { delayedMs: 300_000, until: "2026-03-12T09:35:00.000Z" },
    });

    // Woken early (e.g. a redelivery): nothing runs, the run suspends again until the same time.
    calls = [];
    vi.setSystemTime(new Date("2026-03-12T09:34:00Z"));
    const early = await run(document, { completedSteps: suspended.steps });
    expect(early).toMatchObject({ status: "suspended", resumeAt: suspended.resumeAt });
    expect(ran()).toEqual([]);

    vi.setSystemTime(new Date("2026-03-12T09:35:00Z"));
    const resumed = await run(document, { completedSteps: suspended.steps });
    expect(resumed.status).toBe("succeeded");
    expect(ran()).toEqual(["afterWait"]);
    expect(calls[0]!.steps).toMatchObject({ first: { ran: "first" }, wait: { delayedMs: 300_000 } });
    expect(stepIds(resumed)).toEqual(["trigger", "first", "wait", "afterWait", "side"]);
    expect(resumed.steps.find((s) => s.nodeId === "wait")).toMatchObject({ status: "succeeded" });
    // Reused records are the earlier ones, not new runs.
    expect(resumed.steps[1]).toEqual(suspended.steps[1]);
  });
});

describe("runFlow: failures and resuming", () => {
  const chain = () =>
    flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["one", "action:probe"],
        ["two", "action:transform", { fields: '{"sku": event.data.sku}' }],
        ["three", "action:http-request", { url: `${base}/flaky`, body: '{"sku": steps.two.sku}', retry: { attempts: 7 } }],
        ["four", "action:probe"],
      ],
      [
        ["trigger", "one"],
        ["one", "two"],
        ["two", "three"],
        ["three", "four"],
      ],
    );

  it("reports a failure at node 3 with its retry policy; a resume runs only node 3 onward, with the same idempotency keys", async () => {
    flakyFailures = 1;
    const document = chain();
    const failed = await run(document);
    expect(failed.status).toBe("failed");
    if (failed.status !== "failed") return;
    expect(failed.failedNodeId).toBe("three");
    expect(failed.error).toMatchObject({ transient: true, systemDown: true });
    expect(failed.error.message).toContain("503");
    expect(failed.retryPolicy.attempts).toBe(7);
    expect(failed.steps.map((s) => [s.nodeId, s.status])).toEqual([
      ["trigger", "succeeded"],
      ["one", "succeeded"],
      ["two", "succeeded"],
      ["three", "failed"],
    ]);
    expect(ran()).toEqual(["one"]);

    calls = [];
    const resumed = await run(document, { attempt: 2, completedSteps: JSON.parse(JSON.stringify(failed.steps)) as StepRecord[] });
    expect(resumed.status).toBe("succeeded");
    expect(ran()).toEqual(["four"]);
    expect(received.map((r) => r.headers["idempotency-key"])).toEqual([`${stockEvent.id}:flow-1:v1:three`, `${stockEvent.id}:flow-1:v1:three`]);
    expect(resumed.steps.map((s) => [s.nodeId, s.status, s.attempt])).toEqual([
      ["trigger", "succeeded", 1],
      ["one", "succeeded", 1],
      ["two", "succeeded", 1],
      ["three", "succeeded", 2],
      ["four", "succeeded", 1],
    ]);
    expect(resumed.steps.slice(0, 3)).toEqual(completed(failed.steps));
  });

  it("re-runs a reused step whose recorded output was cut, keeping its attempt number and key", async () => {
    const big = "y".repeat(MAX_RECORDED_BYTES);
    behaviours.one = async () => ({ output: { big } });
    behaviours.four = async (context) => ({ output: { saw: (context.steps.one as { big: string }).big.length } });
    flakyFailures = 1;
    const document = chain();
    const failed = await run(document);
    calls = [];
    const resumed = await run(document, { attempt: 2, completedSteps: failed.steps });
    expect(resumed.status).toBe("succeeded");
    expect(calls.map((c) => [c.nodeId, c.attempt, c.idempotencyKey])).toEqual([
      ["one", 1, `${stockEvent.id}:flow-1:v1:one`],
      ["four", 1, `${stockEvent.id}:flow-1:v1:four`],
    ]);
    expect(resumed.steps.find((s) => s.nodeId === "three")!.attempt).toBe(2);
    expect(resumed.steps.find((s) => s.nodeId === "four")!.output).toEqual({ saw: MAX_RECORDED_BYTES });
  });

  it("times a step out after its timeoutMs, aborts it, and counts it as transient", async () => {
    let signal: AbortSignal | undefined;
    behaviours.stuck = (context) => {
      signal = context.signal;
      return new Promise(() => {}); // ignores its signal on purpose
    };
    const document = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["stuck", "action:probe", { timeoutMs: 100 }],
        ["never", "action:probe"],
      ],
      [
        ["trigger", "stuck"],
        ["stuck", "never"],
      ],
    );
    const result = await run(document);
    expect(result).toMatchObject({ status: "failed", failedNodeId: "stuck", error: { transient: true, systemDown: true } });
    if (result.status === "failed") expect(result.error.message).toContain("within 100 ms");
    expect(signal?.aborted).toBe(true);
    expect(ran()).toEqual(["stuck"]);
  });

  it("fails permanently on an invalid config, naming the field by its form label", async () => {
    const document = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["call", "action:http-request", { url: "ftp://files.example.com/x" }],
      ],
      [["trigger", "call"]],
      { validate: false },
    );
    const result = await run(document);
    expect(result).toMatchObject({ status: "failed", failedNodeId: "call", error: { transient: false } });
    if (result.status === "failed") expect(result.error.message).toBe("The step's settings are not valid: URL: enter a full http:// or https:// URL");
    expect(received).toHaveLength(0);
  });

  it("fails permanently on an expression error, naming the field by its form label", async () => {
    const document = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["check", "logic:condition", { expression: "$nope(event.data.quantity)" }],
      ],
      [["trigger", "check"]],
      { validate: false },
    );
    const result = await run(document);
    expect(result).toMatchObject({ status: "failed", failedNodeId: "check", error: { transient: false } });
    if (result.status === "failed") expect(result.error.message).toMatch(/^Condition: /);
  });

  it("treats unknown errors as permanent and keeps their message; typed errors keep their class", async () => {
    const document = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["boom", "action:probe"],
      ],
      [["trigger", "boom"]],
    );
    behaviours.boom = async () => {
      throw new TypeError("cannot read properties of undefined");
    };
    expect(await run(document)).toMatchObject({ status: "failed", error: { message: "cannot read properties of undefined", transient: false, systemDown: false } });

    behaviours.boom = async () => {
      throw new TransientError("rate limited", { retryAfterMs: 1_500 });
    };
    expect(await run(document)).toMatchObject({ error: { message: "rate limited", transient: true, systemDown: false, retryAfterMs: 1_500 } });

    behaviours.boom = async () => {
      throw new PermanentError("channel rejected the product");
    };
    expect(await run(document)).toMatchObject({ error: { transient: false }, retryPolicy: { attempts: 3 } });
  });

  it("fails permanently on a node kind this worker has no executor for", async () => {
    const document = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["translate", "action:translate", { credentialId: "deepl" }],
      ],
      [["trigger", "translate"]],
    );
    // A worker built without the translate executor (e.g. an older worker during a rolling upgrade).
    const withoutTranslate = createExecutorRegistry(
      [...executorRegistry.executors, probeExecutor].filter((e) => e.kind !== "action:translate"),
      nodes,
    );
    const result = await run(document, { executors: withoutTranslate });
    expect(result).toMatchObject({ status: "failed", failedNodeId: "translate", error: { transient: false } });
    if (result.status === "failed") expect(result.error.message).toContain('"action:translate"');
  });

  it("stops with a transient failure when the worker's signal is aborted", async () => {
    const controller = new AbortController();
    behaviours.one = async () => {
      controller.abort();
      return { output: {} };
    };
    const document = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["one", "action:probe"],
        ["two", "action:probe"],
      ],
      [
        ["trigger", "one"],
        ["one", "two"],
      ],
    );
    const result = await run(document, { signal: controller.signal });
    expect(result).toMatchObject({ status: "failed", failedNodeId: "two", error: { transient: true, systemDown: false } });
    expect(ran()).toEqual(["one"]);
  });
});

describe("runFlow: a step's signal", () => {
  // The runtime makes a step's signal only when something reads it; whenever it is read, it tells
  // what one made up front would have.
  const document = flow(
    [
      ["trigger", "trigger:stock.changed"],
      ["one", "action:probe", { timeoutMs: 100 }],
      ["two", "action:probe"],
    ],
    [
      ["trigger", "one"],
      ["one", "two"],
    ],
  );

  it("is aborted by the deadline when first read after it passed", async () => {
    let context: ProbeContext | undefined;
    let finish: () => void = () => {};
    behaviours.one = (c) => {
      context = c;
      return new Promise((resolve) => (finish = () => resolve({ output: {} })));
    };
    const result = await run(document);
    expect(result).toMatchObject({ status: "failed", failedNodeId: "one", error: { transient: true, systemDown: true } });
    finish();
    expect(context!.signal.aborted).toBe(true);
    expect(context!.signal.reason).toBeInstanceOf(TransientError);
    expect((context!.signal.reason as TransientError).systemDown).toBe(true);
    expect((context!.signal.reason as Error).message).toContain("within 100 ms");
  });

  it("is aborted by the worker's shutdown while the step runs, whether read before or after it", async () => {
    const controller = new AbortController();
    const seen: { before: boolean; after: boolean; reason?: unknown } = { before: true, after: false };
    behaviours.one = async (c) => {
      const signal = c.signal;
      seen.before = signal.aborted;
      controller.abort();
      seen.after = signal.aborted;
      seen.reason = signal.reason;
      return { output: {} };
    };
    const result = await run(document, { signal: controller.signal });
    expect(seen).toMatchObject({ before: false, after: true, reason: expect.any(TransientError) });
    expect((seen.reason as Error).message).toContain("shutting down");
    // The step finished anyway, so it counts as done; the next one is not started.
    expect(result).toMatchObject({ status: "failed", failedNodeId: "two", error: { transient: true, systemDown: false } });

    const late = new AbortController();
    behaviours.one = async (c) => {
      late.abort();
      seen.after = c.signal.aborted;
      return { output: {} };
    };
    seen.after = false;
    await run(document, { signal: late.signal });
    expect(seen.after).toBe(true);
  });

  it("is not aborted by a shutdown after the step ended, and leaves no listener on the worker's signal", async () => {
    const controller = new AbortController();
    const contexts: ProbeContext[] = [];
    behaviours.one = async (c) => {
      contexts.push(c);
      void c.signal;
      return { output: {} };
    };
    behaviours.two = async (c) => {
      contexts.push(c);
      return { output: {} };
    };
    expect(await run(document, { signal: controller.signal })).toMatchObject({ status: "succeeded" });
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    controller.abort();
    expect(contexts.map((c) => c.signal.aborted)).toEqual([false, false]);

    // A step that timed out with its signal read lets go of the worker's signal too.
    const next = new AbortController();
    behaviours.one = (c) => {
      void c.signal;
      return new Promise(() => {});
    };
    expect(await run(document, { signal: next.signal })).toMatchObject({ status: "failed", failedNodeId: "one" });
    expect(getEventListeners(next.signal, "abort")).toHaveLength(0);
  });
});

describe("runFlow: flow versions", () => {
  it("runs each document as it is, also after an earlier document of the flow ran", async () => {
    const first = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["one", "action:probe"],
      ],
      [["trigger", "one"]],
    );
    const second = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["one", "action:probe"],
        ["two", "action:probe"],
      ],
      [
        ["trigger", "two"],
        ["two", "one"],
      ],
    );
    expect(stepIds(await run(first))).toEqual(["trigger", "one"]);
    expect(stepIds(await run(second, { flowVersion: 2 }))).toEqual(["trigger", "two", "one"]);
    expect(stepIds(await run(first))).toEqual(["trigger", "one"]);
    expect(ran()).toEqual(["one", "two", "one", "one"]);
  });
});

describe("idempotency keys", () => {
  it("are event, flow, version and node, stable across calls", () => {
    expect(defaultIdempotencyKey("evt-1", "flow-1", 4, "sync")).toBe("evt-1:flow-1:v4:sync");
  });

  it("are hashed when longer than 255 characters", () => {
    const key = defaultIdempotencyKey("e".repeat(256), "flow-1", 4, "sync");
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(defaultIdempotencyKey("e".repeat(256), "flow-1", 4, "sync")).toBe(key);
    expect(defaultIdempotencyKey("e".repeat(256), "flow-1", 4, "other")).not.toBe(key);
  });

  it("can be chosen by the caller", async () => {
    const document = flow(
      [
        ["trigger", "trigger:stock.changed"],
        ["one", "action:probe"],
      ],
      [["trigger", "one"]],
    );
    const result = await run(document, { idempotencyKeyOf: (nodeId) => `custom-${nodeId}` });
    expect(calls[0]!.idempotencyKey).toBe("custom-one");
    expect(result.steps[1]!.idempotencyKey).toBe("custom-one");
  });
});
