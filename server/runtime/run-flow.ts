import "server-only";
import { createHash } from "node:crypto";
import type { CloudEvent } from "../events/event-types";
import { ExpressionError } from "../expressions/expression-syntax";
import type { FlowDocument, FlowEdge, FlowNode } from "../flows/flow-document";
import { visitConfigFields } from "../nodes/config-fields";
import { fieldLabel, userMessage } from "@/server/validation/user-words";
import type { ExecutionContext, ExecutionResult, ExecutionServices, NodeExecutor } from "../nodes/define-executor";
import { DEFAULT_HANDLE, isTrigger, upgradeConfig, type AnyNodeDefinition } from "../nodes/define-node";
import { PermanentError, SuspendUntil, TransientError } from "@/server/outbound/execution-errors";
import { recordOutboundCalls } from "@/server/outbound/dry-run";
import { executorRegistry, type ExecutorRegistry } from "../nodes/executors";
import { retryPolicyOf, type RetryPolicy } from "../nodes/retry-policy";
import { tracingEnabled, withRunSpan, withStepSpan } from "@/server/tracing/spans";

// The graph walker: runs one event through one flow version and says what happened. It knows
// nothing of NATS or the database; the worker decides what to persist, when to retry and when to
// dead-letter, from the result. That keeps the rules of a run in one place that tests can reach.
//
// Order of a run. Steps run one at a time, starting at the trigger, following only the edges of
// the branch a step chose. When a step has several outgoing edges, their targets run in edge order,
// each branch to its end before the next one starts (depth first, as n8n does). A node reached by
// several edges (a diamond) runs once, when every edge into it is settled: its predecessors either
// ran or can no longer run because an earlier branch went the other way.
//
// Resuming. `completedSteps` (the records of an earlier try) are not run again: their outputs and
// branches are reused, so a retry after a failure at the third node runs only the third node
// onward, with the same idempotency keys. A delay is one of those records: when an executor throws
// `SuspendUntil`, its step is recorded as "suspended" with output { delayedMs, until }; the run
// goes on with branches that do not depend on it, then returns "suspended" with the earliest
// `resumeAt`. Given that record again, the runner treats the delay as done once `until` has passed
// (or suspends again until then, if the worker woke early), and continues after it.

export interface StepRecord {
  nodeId: string;
  kind: string;
  status: "succeeded" | "failed" | "skipped" | "suspended";
  attempt: number;
  startedAt: string;
  finishedAt: string;
  /** The parsed config the step ran with (sensitive header values redacted, size-capped). */
  input?: unknown;
  /** Size-capped: beyond MAX_RECORDED_BYTES it is `{ truncated: true, bytes }`. */
  output?: unknown;
  /** The handle the step chose; absent: all outgoing edges; null: none. */
  branch?: string | null;
  error?: string;
  idempotencyKey?: string;
}

export interface FlowRunError {
  message: string;
  transient: boolean;
  /** The outside system looks down: retry until it is back, up to the max retry age. */
  systemDown: boolean;
  retryAfterMs?: number;
}

// `steps` holds every step of the run so far in the order the walk visited them: the reused
// records of earlier tries (a delay whose time has come turned "succeeded") and the steps this
// call ran. Nodes on branches that were not taken have no record.
// "succeeded" and "skipped" are separate members (not one with a union status) so that checking
// for both narrows the rest to failed | suspended.
export type FlowRunResult =
  | { status: "succeeded"; steps: StepRecord[] }
  | { status: "skipped"; steps: StepRecord[] }
  | { status: "failed"; steps: StepRecord[]; failedNodeId: string; error: FlowRunError; retryPolicy: RetryPolicy }
  | { status: "suspended"; steps: StepRecord[]; resumeAt: Date };

export interface RunFlowInput {
  flowId: string;
  flowVersion: number;
  /** A document `validateFlow` accepted; the runner does not re-check its shape. */
  document: FlowDocument;
  event: CloudEvent;
  traceparent: string;
  /** The event's NATS message headers: with tracing on, the run span continues their traceparent and tracestate (the ingest span). Default: `traceparent`. */
  traceHeaders?: Readonly<Record<string, string>>;
  /** The attempt number of the node that failed last time (1 on a first run or after a delay). */
  attempt: number;
  /** Records of an earlier try; succeeded, skipped and suspended ones are reused, failed ones ignored. */
  completedSteps?: StepRecord[];
  executors?: ExecutorRegistry;
  services: ExecutionServices;
  /** The worker's shutdown signal. */
  signal?: AbortSignal;
  /** Default: `${event.id}:${flowId}:v${flowVersion}:${nodeId}`, hashed when longer than 255 characters. */
  idempotencyKeyOf?: (nodeId: string) => string;
  /**
   * A dry run (test runs, docs/decisions/0017): a step's first outside call is recorded instead
   * of sent, and the step succeeds with output `{ dryRun: true, request }`.
   */
  dryRun?: boolean;
  /** Told when a step starts (`running` set) and when it ends, with every step recorded so far: test runs show progress live. */
  onProgress?: (steps: readonly StepRecord[], running: { nodeId: string; kind: string; startedAt: string } | null) => void;
}

const DEFAULT_STEP_TIMEOUT_MS = 60_000;
/** Recorded inputs and outputs beyond this are replaced by `{ truncated: true, bytes }`. */
export const MAX_RECORDED_BYTES = 16 * 1024;
const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * Stable across retries, redrives and workers, so the receiving system can drop repeats (docs/guarantees.md §3).
 * Event ids may be 256 characters; receivers commonly cap keys at 255, so long ones are hashed.
 */
export function defaultIdempotencyKey(eventId: string, flowId: string, flowVersion: number, nodeId: string): string {
  const key = `${eventId}:${flowId}:v${flowVersion}:${nodeId}`;
  return key.length <= MAX_IDEMPOTENCY_KEY_LENGTH ? key : createHash("sha256").update(key).digest("hex");
}

interface Graph {
  trigger: FlowNode;
  /** Outgoing edges between reachable nodes, in document order. */
  outgoing: Map<string, FlowEdge[]>;
  /** How many edges lead into each reachable node. */
  incoming: Map<string, number>;
  nodes: Map<string, FlowNode>;
}

// A flow version's document is never changed once the catalog has it (a new version is a new
// document object), so its graph is worked out once, not on every run.
const graphs = new WeakMap<FlowDocument, Graph>();

function graphOf(document: FlowDocument): Graph {
  let graph = graphs.get(document);
  if (!graph) {
    graph = buildGraph(document);
    graphs.set(document, graph);
  }
  return graph;
}

function buildGraph(document: FlowDocument): Graph {
  const nodes = new Map<string, FlowNode>();
  for (const node of document.nodes) if (!nodes.has(node.id)) nodes.set(node.id, node);
  const trigger = document.nodes.find((node) => isTrigger(node));
  if (!trigger) throw new Error(`flow "${document.name}" has no trigger; runFlow expects a document validateFlow accepted`);

  const all = new Map<string, FlowEdge[]>();
  for (const edge of document.edges) {
    if (!nodes.has(edge.source) || !nodes.has(edge.target)) continue;
    all.set(edge.source, [...(all.get(edge.source) ?? []), edge]);
  }
  // Edges from nodes the trigger cannot reach would never settle and block their targets forever.
  const reachable = new Set([trigger.id]);
  const queue = [trigger.id];
  while (queue.length > 0) {
    for (const edge of all.get(queue.pop()!) ?? []) {
      if (!reachable.has(edge.target)) {
        reachable.add(edge.target);
        queue.push(edge.target);
      }
    }
  }
  const outgoing = new Map<string, FlowEdge[]>();
  const incoming = new Map<string, number>();
  for (const [source, edges] of all) {
    if (!reachable.has(source)) continue;
    outgoing.set(source, edges);
    for (const edge of edges) incoming.set(edge.target, (incoming.get(edge.target) ?? 0) + 1);
  }
  return { trigger, outgoing, incoming, nodes };
}

function isTruncationMarker(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { truncated?: unknown }).truncated === true && typeof (value as { bytes?: unknown }).bytes === "number" && Object.keys(value).length === 2;
}

function recordable(value: unknown): unknown {
  if (value === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    return { unserializable: true };
  }
  if (json === undefined) return undefined;
  // UTF-8 takes one to three bytes per UTF-16 unit: most values need no counting.
  if (json.length * 3 <= MAX_RECORDED_BYTES) return value;
  const bytes = Buffer.byteLength(json);
  return bytes > MAX_RECORDED_BYTES ? { truncated: true, bytes } : value;
}

// Run history is shown to everyone who can see the flow; API keys in header values are not.
const SENSITIVE_HEADER = /authorization|cookie|api[-_]?key|token|secret|password|signature/i;

function redactedInput(config: unknown): unknown {
  if (typeof config !== "object" || config === null) return config;
  const headers = (config as { headers?: unknown }).headers;
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) return config;
  const redacted = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, SENSITIVE_HEADER.test(name) ? "[redacted]" : value]));
  return { ...config, headers: redacted };
}

function stepTimeoutMs(config: unknown): number {
  const value = typeof config === "object" && config !== null ? (config as { timeoutMs?: unknown }).timeoutMs : undefined;
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : DEFAULT_STEP_TIMEOUT_MS;
}

/** The form label of the config field holding the expression that failed, so the message says where to look. */
function expressionField(definition: AnyNodeDefinition, config: unknown, expression: string): string | null {
  let found: string | null = null;
  visitConfigFields(definition.config, config, ({ path, value }) => {
    if (found === null && value === expression) found = fieldLabel(definition.config, path) ?? null;
  });
  return found;
}

function classify(error: unknown, definition: AnyNodeDefinition, config: unknown): FlowRunError {
  if (error instanceof TransientError) {
    return { message: error.message, transient: true, systemDown: error.systemDown, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) };
  }
  if (error instanceof ExpressionError) {
    const field = expressionField(definition, config, error.expression);
    return { message: field ? `${field}: ${error.message}` : error.message, transient: false, systemDown: false };
  }
  if (error instanceof PermanentError) return { message: error.message, transient: false, systemDown: false };
  // Anything else is a bug or an unexpected input: retrying it would fail the same way.
  return { message: error instanceof Error ? error.message : String(error), transient: false, systemDown: false };
}

const shutdownError = () => new TransientError("the run was aborted (the worker is shutting down)");

/**
 * What an executor gets for one step: one object per step, handed on as it is (defineExecutor adds
 * `reach` to it instead of copying it). Its signal is made on first read: most steps (triggers,
 * transforms) never read it, and an AbortController listening to the worker's signal costs more
 * than the rest of such a step. Read at any time, it says what one made up front would have: aborted
 * by the step's deadline or the worker's shutdown, whichever came first while the step ran.
 */
class StepExecution implements ExecutionContext<unknown> {
  #controller: AbortController | undefined;
  #onShutdown: (() => void) | undefined;
  /** Why the step was stopped before anything read its signal. */
  #stopReason: TransientError | undefined;
  #running = true;

  constructor(
    public config: unknown,
    public event: CloudEvent,
    public steps: Record<string, unknown>,
    public nodeId: string,
    public flowId: string,
    public flowVersion: number,
    public idempotencyKey: string,
    public traceparent: string,
    public attempt: number,
    public services: ExecutionServices,
    private readonly shutdown: AbortSignal | undefined,
  ) {}

  get signal(): AbortSignal {
    if (this.#controller) return this.#controller.signal;
    const controller = (this.#controller = new AbortController());
    if (this.#stopReason) controller.abort(this.#stopReason);
    else if (this.#running && this.shutdown) {
      if (this.shutdown.aborted) controller.abort(shutdownError());
      else {
        this.#onShutdown = () => controller.abort(shutdownError());
        this.shutdown.addEventListener("abort", this.#onShutdown, { once: true });
      }
    }
    return controller.signal;
  }

  /** The deadline passed: the step is told to stop (its signal aborted with `error`) and is done with. */
  expire(error: TransientError): void {
    if (!this.#running) return;
    if (this.#controller) this.#controller.abort(error);
    else this.#stopReason = this.shutdown?.aborted ? shutdownError() : error;
    this.finish();
  }

  /** The step ended: a worker shutdown from now on no longer concerns it. */
  finish(): void {
    if (!this.#running) return;
    this.#running = false;
    if (this.#onShutdown) this.shutdown!.removeEventListener("abort", this.#onShutdown);
    else if (!this.#controller && !this.#stopReason && this.shutdown?.aborted) this.#stopReason = shutdownError();
  }
}

/**
 * Runs the executor with a deadline. The deadline holds even for an executor that ignores its
 * signal (the step fails when it passes, whatever the executor does); the abort tells well-behaved
 * ones to stop their I/O. The worker's shutdown signal is only passed on, not raced: a step that
 * finishes anyway (its call already went out) should be recorded as done rather than be repeated
 * on the next try.
 */
function executeWithDeadline(executor: NodeExecutor, step: StepExecution, timeoutMs: number): Promise<ExecutionResult<unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new TransientError(`the step did not finish within ${timeoutMs} ms`, { systemDown: true });
      step.expire(error);
      reject(error);
    }, timeoutMs);
    const settled = () => {
      clearTimeout(timer);
      step.finish();
    };
    let running: Promise<ExecutionResult<unknown>>;
    try {
      running = executor.execute(step);
    } catch (error) {
      settled();
      reject(error);
      return;
    }
    // Once the deadline has won, a late outcome of the abandoned executor settles nothing.
    running.then(
      (result) => {
        settled();
        resolve(result);
      },
      (error: unknown) => {
        settled();
        reject(error);
      },
    );
  });
}

/** A delay's SuspendUntil is control flow, not a failure of the step span. */
const failsStepSpan = (error: unknown) => !(error instanceof SuspendUntil);

export function runFlow(input: RunFlowInput): Promise<FlowRunResult> {
  if (!tracingEnabled()) return walkFlow(input);
  const { event } = input;
  return withRunSpan(
    { eventId: event.id, eventType: event.type, orderingKey: event.subject, flowId: input.flowId, flowVersion: input.flowVersion, attempt: input.attempt, dryRun: input.dryRun === true },
    input.traceHeaders?.traceparent ? input.traceHeaders : { traceparent: input.traceparent },
    () => walkFlow(input),
  );
}

// Many steps start and end within the same millisecond as the one before: each millisecond is
// written out once (toISOString costs more than the rest of a trigger's record).
let isoMs = Number.NaN;
let isoText = "";
function isoTime(ms: number): string {
  if (ms !== isoMs) {
    isoText = new Date(ms).toISOString();
    isoMs = ms;
  }
  return isoText;
}

async function walkFlow(input: RunFlowInput): Promise<FlowRunResult> {
  const { document, event, flowId, flowVersion } = input;
  const executors = input.executors ?? executorRegistry;
  const keyOf = input.idempotencyKeyOf ?? ((nodeId: string) => defaultIdempotencyKey(event.id, flowId, flowVersion, nodeId));
  const graph = graphOf(document);

  const earlier = new Map<string, StepRecord>();
  for (const record of input.completedSteps ?? []) {
    const node = graph.nodes.get(record.nodeId);
    if (node && node.kind === record.kind && record.status !== "failed") earlier.set(record.nodeId, record);
  }

  const steps: StepRecord[] = [];
  const outputs: Record<string, unknown> = {};
  const waitingUntil: Date[] = [];
  let skipped = false;
  // `input.attempt` counts tries of the node that failed last time. The walk is deterministic and
  // reuses every step before it, so that node is the first one this call runs afresh.
  let freshAttempt = input.attempt;

  /** How many edges into a node are still to settle, once one of them did (else `graph.incoming`). */
  const unsettled = new Map<string, number>();
  const liveIncoming = new Map<string, number>();
  const stack: string[] = [graph.trigger.id];

  /** Settles the edges out of `nodeId` and collects the nodes that became ready, in edge order. */
  const settleOutgoing = (nodeId: string, branch: string | null | undefined, ready: string[]) => {
    for (const edge of graph.outgoing.get(nodeId) ?? []) {
      const live = branch === undefined || (branch !== null && (edge.sourceHandle ?? DEFAULT_HANDLE.id) === branch);
      if (live) liveIncoming.set(edge.target, (liveIncoming.get(edge.target) ?? 0) + 1);
      const remaining = (unsettled.get(edge.target) ?? graph.incoming.get(edge.target)!) - 1;
      unsettled.set(edge.target, remaining);
      if (remaining > 0) continue;
      if ((liveIncoming.get(edge.target) ?? 0) > 0) ready.push(edge.target);
      // Every way into it was not taken: nothing after it runs either, unless reached otherwise.
      else settleOutgoing(edge.target, null, ready);
    }
  };
  const continueAfter = (nodeId: string, branch: string | null | undefined) => {
    const ready: string[] = [];
    settleOutgoing(nodeId, branch, ready);
    // Reversed onto the stack, so the first edge's target runs next.
    for (let i = ready.length - 1; i >= 0; i--) stack.push(ready[i]!);
  };

  while (stack.length > 0) {
    const node = graph.nodes.get(stack.pop()!)!;
    const isTriggerNode = node.id === graph.trigger.id;
    const record = earlier.get(node.id);

    // A recorded output cut down to a size marker is useless to later steps; running the step
    // again (with the same idempotency key, so the receiver can drop the repeat) gets it back.
    if (record && !isTruncationMarker(record.output)) {
      if (record.status === "suspended") {
        const until = new Date(String((record.output as { until?: unknown } | undefined)?.until ?? ""));
        if (!Number.isNaN(until.getTime()) && until.getTime() > Date.now()) {
          steps.push(record);
          waitingUntil.push(until);
          continue;
        }
        steps.push({ ...record, status: "succeeded", finishedAt: new Date().toISOString() });
      } else {
        steps.push(record);
      }
      outputs[node.id] = record.output;
      if (isTriggerNode && record.branch === null) skipped = true;
      continueAfter(node.id, record.branch);
      continue;
    }

    let attempt: number;
    if (record) attempt = record.attempt;
    else {
      attempt = freshAttempt;
      freshAttempt = 1;
    }
    const idempotencyKey = keyOf(node.id);
    const startedMs = Date.now();
    const startedAt = isoTime(startedMs);
    const executor = executors.get(node.kind);
    // Written out field by field rather than spread from a common part: in Node 20 every field
    // after a spread costs about a microsecond.
    const ended = (status: StepRecord["status"]): StepRecord => ({ nodeId: node.id, kind: node.kind, attempt, startedAt, idempotencyKey, status, finishedAt: isoTime(Date.now()) });
    // The parsed config when there is one, so a node type's own retry defaults apply.
    const fail = (failure: FlowRunError, config: unknown = node.config, recordedInput?: unknown): FlowRunResult => {
      const step = ended("failed");
      if (recordedInput !== undefined) step.input = recordedInput;
      step.error = failure.message;
      steps.push(step);
      return { status: "failed", steps, failedNodeId: node.id, error: failure, retryPolicy: retryPolicyOf(config) };
    };

    if (!executor) {
      return fail({ message: `this Syncline cannot run "${node.kind}" nodes yet (no executor for the kind)`, transient: false, systemDown: false });
    }
    const parsed = executor.definition.config.safeParse(upgradeConfig(executor.definition, node.version, node.config));
    if (!parsed.success) {
      // In the words of the step's form (docs/decisions/0020): "Timeout (ms) must be at least 100".
      const message = userMessage(parsed.error.issues[0]!, executor.definition.config);
      return fail({ message: `The step's settings are not valid: ${message}`, transient: false, systemDown: false });
    }
    const config = parsed.data;
    const recordedInput = recordable(redactedInput(config));
    if (input.signal?.aborted) {
      return fail({ message: "the run was aborted (the worker is shutting down)", transient: true, systemDown: false }, config, recordedInput);
    }

    let result: ExecutionResult<unknown>;
    input.onProgress?.(steps, { nodeId: node.id, kind: node.kind, startedAt });
    try {
      const step = new StepExecution(config, event, { ...outputs }, node.id, flowId, flowVersion, idempotencyKey, input.traceparent, attempt, input.services, input.signal);
      const timeoutMs = stepTimeoutMs(config);
      const execute = () => withStepSpan({ nodeId: node.id, kind: node.kind, attempt }, () => executeWithDeadline(executor, step, timeoutMs), failsStepSpan);
      if (input.dryRun) {
        const recorded = await recordOutboundCalls(execute);
        const request = recorded.requests[0];
        // The step reached the outside world: what it would have sent is its output.
        if (request) result = { output: { dryRun: true, request } };
        else if (recorded.result.status === "fulfilled") result = recorded.result.value;
        else throw recorded.result.reason;
      } else {
        result = await execute();
      }
    } catch (error) {
      if (error instanceof SuspendUntil) {
        const step = ended("suspended");
        step.input = recordedInput;
        step.output = { delayedMs: Math.max(0, error.until.getTime() - startedMs), until: error.until.toISOString() };
        steps.push(step);
        waitingUntil.push(error.until);
        input.onProgress?.(steps, null);
        continue;
      }
      return fail(classify(error, executor.definition, config), config, recordedInput);
    }

    const stopped = isTriggerNode && result.branch === null;
    if (stopped) skipped = true;
    const step = ended(stopped ? "skipped" : "succeeded");
    step.input = recordedInput;
    step.output = recordable(result.output);
    if (result.branch !== undefined) step.branch = result.branch;
    steps.push(step);
    outputs[node.id] = result.output;
    input.onProgress?.(steps, null);
    continueAfter(node.id, result.branch);
  }

  if (waitingUntil.length > 0) {
    return { status: "suspended", steps, resumeAt: new Date(Math.min(...waitingUntil.map((until) => until.getTime()))) };
  }
  return skipped ? { status: "skipped", steps } : { status: "succeeded", steps };
}
