import "server-only";
import { randomUUID } from "node:crypto";
import { jetstream, jetstreamManager, RetentionPolicy, type JetStreamManager } from "@nats-io/jetstream";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import type { PrismaClient } from "@/server/db/generated/client";
import { InvalidInputError, NotFoundError, UnprocessableError } from "@/server/domain-errors";
import { businessKeysOf } from "@/server/events/business-keys";
import { eventSchemaRegistry, schemaIssues, type EventSchemaRegistry } from "@/server/events/event-schema-registry";
import { getKnownEventType, type CloudEvent } from "@/server/events/event-types";
import { newTraceparent, ORDERING_KEY_HEADER, RECEIVED_AT_HEADER, streamLayoutFromEnv, TRACEPARENT_HEADER } from "@/server/events/ingest";
import { sharedNats } from "@/server/nats/connection";
import { validateFlow } from "@/server/flows/validate-flow";
import type { FlowDocument } from "@/server/flows/flow-document";
import { isTrigger } from "@/server/nodes/define-node";
import { toCatalogFlow, triggerEventType } from "./flow-catalog";
import { traceIdOf } from "@/server/tracing/trace-context";
import type { StreamLayout } from "./stream-layout";

// Test runs (the editor's test-event button; docs/decisions/0017-test-runs.md). The web app
// records a queued Run (test = true, with the draft graph it is to run) and publishes the event to
// the tests stream, `<prefix>_tests` on `<prefix>.tests.<type>`. Workers consume that stream with
// one shared consumer (test-run-processor.ts) and run it with the same runner and executors as
// production events. Production partitions never read this stream and test runs never enter a
// key's lane, so a test event can neither wait behind nor hold up production events of its key.

export type TestMode = "dry" | "live";
export const TEST_RUN_HEADER = "Syncline-Test-Run";
/** Test runs have no published version: their graph is the draft stored on the run. */
export const TEST_FLOW_VERSION = 0;

export function testStreamName(layout: Pick<StreamLayout, "prefix">): string {
  return `${layout.prefix}_tests`.replace(/[^A-Za-z0-9_-]/g, "_");
}

function testSubjectRoot(layout: Pick<StreamLayout, "prefix">): string {
  return `${layout.prefix}.tests`;
}

function testSubject(layout: Pick<StreamLayout, "prefix">, type: string): string {
  return `${testSubjectRoot(layout)}.${type.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/** A work queue: a test event is removed once a worker has run it; anything left goes after a day. */
export async function ensureTestStream(jsm: JetStreamManager, layout: Pick<StreamLayout, "prefix">): Promise<string> {
  const name = testStreamName(layout);
  try {
    await jsm.streams.info(name);
  } catch {
    try {
      await jsm.streams.add({
        name,
        subjects: [`${testSubjectRoot(layout)}.>`],
        retention: RetentionPolicy.Workqueue,
        max_age: 24 * 3600 * 1_000_000_000,
        duplicate_window: 120 * 1_000_000_000,
      });
    } catch (error) {
      if (!String((error as Error).message).includes("already in use")) throw error;
    }
  }
  return name;
}

/** The test event as the editor sends it: the ordering key and the data; Syncline fills in the envelope. */
export interface TestEventInput {
  subject: string;
  data: unknown;
}

export interface StartTestRunInput {
  flowId: string;
  /** The editor's current draft, saved or not. */
  document: unknown;
  event: TestEventInput;
  mode: TestMode;
}

export interface TestRunOptions {
  nats?: () => Promise<NatsConnection>;
  layout?: StreamLayout;
  registry?: EventSchemaRegistry;
}

/** The event type a draft's trigger listens to, or why it cannot be tested. */
function draftEventType(document: FlowDocument): string {
  const trigger = document.nodes.find((node) => isTrigger(node));
  if (!trigger) throw new UnprocessableError("Add a trigger before testing the flow.", [{ path: "document", message: "the flow has no trigger" }]);
  const type = triggerEventType(trigger);
  if (!type) throw new UnprocessableError("Choose the trigger's event type before testing the flow.", [{ path: "document", message: "the trigger has no event type" }]);
  return type;
}

/** Issues with a test event's data for `type` (empty: valid), paths like `data.sku`. */
async function testEventIssues(type: string, event: TestEventInput, registry?: EventSchemaRegistry) {
  const issues: { path: string; message: string }[] = [];
  if (typeof event.subject !== "string" || event.subject.trim() === "") issues.push({ path: "subject", message: "required: subject is the ordering key (e.g. the SKU)" });
  // Webhook and schedule events are made by Syncline, so ingest refuses them; a test may send them.
  const known = getKnownEventType(type);
  issues.push(...(known ? schemaIssues(known.data, event.data, "data") : await (registry ?? eventSchemaRegistry()).validate(type, event.data)));
  return issues;
}

export async function startTestRun(db: PrismaClient, input: StartTestRunInput, options: TestRunOptions = {}): Promise<{ runId: string; eventId: string }> {
  const flow = await db.flow.findUnique({ where: { id: input.flowId }, select: { id: true } });
  if (!flow) throw new NotFoundError(`No flow with id "${input.flowId}".`);
  const { document, problems } = validateFlow(input.document);
  if (!document || problems.length > 0) {
    throw new UnprocessableError(
      `Fix the flow's ${problems.length === 1 ? "problem" : `${problems.length} problems`} before testing it.`,
      problems.map((p) => ({ path: p.nodeId ? `document.${p.nodeId}` : "document", message: p.message })),
    );
  }
  const type = draftEventType(document);
  const issues = await testEventIssues(type, input.event, options.registry);
  if (issues.length > 0) throw new InvalidInputError("The test event does not match its event type; it was not sent.", issues);

  const runId = randomUUID();
  const traceparent = newTraceparent();
  const now = new Date();
  const event: CloudEvent = {
    specversion: "1.0",
    id: `test-${runId}`,
    source: "syncline:test-event",
    type,
    subject: input.event.subject.trim(),
    time: now.toISOString(),
    data: input.event.data,
    traceparent,
  };
  const headers = { [TRACEPARENT_HEADER]: traceparent, [ORDERING_KEY_HEADER]: event.subject, [RECEIVED_AT_HEADER]: now.toISOString(), [TEST_RUN_HEADER]: runId };
  const layout = options.layout ?? streamLayoutFromEnv();
  await db.run.create({
    data: {
      id: runId, flowId: input.flowId, flowVersion: TEST_FLOW_VERSION, eventId: event.id, eventType: type, orderingKey: event.subject,
      status: "queued", traceId: traceIdOf(traceparent), sequence: 0n, startedAt: now, test: true, testMode: input.mode,
      testDocument: document as object, businessKeys: businessKeysOf(event), event: event as object, headers, stream: testStreamName(layout),
    },
  });

  try {
    const nc = await (options.nats ?? sharedNats)();
    await ensureTestStream(await jetstreamManager(nc), layout);
    const h = natsHeaders();
    for (const [name, value] of Object.entries(headers)) h.set(name, value);
    h.set("Content-Type", "application/cloudevents+json");
    await jetstream(nc).publish(testSubject(layout, type), JSON.stringify(event), { msgID: runId, headers: h, timeout: 5_000 });
  } catch (error) {
    await db.run.update({ where: { id: runId }, data: { status: "failed", finishedAt: new Date(), error: `the test event could not be queued: ${(error as Error).message}` } });
    throw error;
  }
  return { runId, eventId: event.id };
}

/**
 * The Event types page's test button: one test run per enabled flow whose published version
 * listens to `type`, each running that version's graph. Returns the runs started (none: no flow
 * listens, which the page says).
 */
export async function startTestRunsForType(
  db: PrismaClient,
  input: { type: string; event: TestEventInput; mode: TestMode },
  options: TestRunOptions = {},
): Promise<{ runs: { runId: string; flowId: string; flowName: string }[] }> {
  const issues = await testEventIssues(input.type, input.event, options.registry);
  if (issues.length > 0) throw new InvalidInputError("The test event does not match its event type; it was not sent.", issues);
  const flows = await db.flow.findMany({ where: { enabled: true, publishedVersion: { not: null } }, select: { id: true, name: true, publishedVersion: true } });
  const versions = flows.length === 0 ? [] : await db.flowVersion.findMany({ where: { OR: flows.map((f) => ({ flowId: f.id, version: f.publishedVersion! })) } });
  const runs: { runId: string; flowId: string; flowName: string }[] = [];
  for (const version of versions) {
    const catalog = toCatalogFlow(version.flowId, version.version, version.document);
    if (catalog?.eventType !== input.type) continue;
    const { runId } = await startTestRun(db, { flowId: version.flowId, document: version.document, event: input.event, mode: input.mode }, options);
    runs.push({ runId, flowId: version.flowId, flowName: flows.find((f) => f.id === version.flowId)?.name ?? version.flowId });
  }
  return { runs };
}
