import "server-only";
import { randomBytes } from "node:crypto";
import { jetstreamManager, type PubAck } from "@nats-io/jetstream";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import * as z from "zod";
import { env } from "@/server/env";
import { InvalidInputError } from "@/server/domain-errors";
import { sharedNats } from "@/server/nats/connection";
import { headerLayout, publishAckedAll, type AckedMessage } from "@/server/nats/acked-publish";
import { isJetStreamUnavailable, isPayloadTooLarge } from "@/server/nats/nats-errors";
import { ensureEventsStream, eventSubject, eventsStreamName, type StreamLayout } from "@/server/runtime/stream-layout";
import {
  eventSchemaRegistry,
  SchemaRegistryUnavailableError,
  type EventSchemaRegistry,
} from "./event-schema-registry";
import { cloudEventSchema, traceparentSchema, type CloudEvent } from "./event-types";
import { safeInputSchema } from "@/server/validation/unsafe-input";
import { countIngested } from "@/server/events/ingest-counter";
import { IngestSpans, tracingEnabled, type IngestSpan } from "@/server/tracing/spans";

// Event ingest (docs/guarantees.md §1, docs/architecture.md): validate every event, then store it in JetStream and answer only
// after the PubAck. The event id becomes Nats-Msg-Id, so JetStream's duplicate window turns a
// re-sent event into a "duplicate" answer instead of a second message.

export type IngestStatus = "accepted" | "duplicate";
export interface IngestResult {
  id: string;
  status: IngestStatus;
}

/** Headers every stored event carries, besides Nats-Msg-Id and traceparent. */
export const ORDERING_KEY_HEADER = "Syncline-Ordering-Key";
export const RECEIVED_AT_HEADER = "Syncline-Received-At";
export const TRACEPARENT_HEADER = "traceparent";
/** JetStream's duplicate-window key: the event id. */
const MSG_ID_HEADER = "Nats-Msg-Id";
const CONTENT_TYPE = "application/cloudevents+json";
/** A stored event's headers without tracing, in the order the tracing path sets them. */
const eventHeaders = headerLayout([TRACEPARENT_HEADER, ORDERING_KEY_HEADER, RECEIVED_AT_HEADER, "Content-Type", MSG_ID_HEADER]);

/** Where an event is wrong: `path` is dotted (`data.sku`, or `2.data.sku` in a batch). */
export type IngestIssue = InvalidInputError["issues"][number];

/** One or more events are invalid; nothing was published. */
export class IngestValidationError extends InvalidInputError {
  constructor(issues: IngestIssue[], readonly invalidEvents: number, readonly totalEvents: number) {
    super(
      totalEvents === 1
        ? "The event is invalid; it was not published."
        : `${invalidEvents} of ${totalEvents} events are invalid; none were published.`,
      issues,
    );
    this.name = "IngestValidationError";
  }
}

/** An event does not fit into one NATS message. */
export class IngestTooLargeError extends Error {
  constructor(message: string, readonly issues: IngestIssue[]) {
    super(message);
    this.name = "IngestTooLargeError";
  }
}

/** NATS (or the schema registry's database) cannot take events right now; the sender should retry. */
export class IngestUnavailableError extends Error {
  readonly retryAfterSeconds = 5;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "IngestUnavailableError";
  }
}

export interface IngestOptions {
  /** The NATS connection to publish on; default the process-wide one. Tests inject their own. */
  nats?: () => Promise<NatsConnection>;
  /** Default: SYNCLINE_PREFIX, SYNCLINE_PARTITIONS, SYNCLINE_DUPLICATE_WINDOW_MS. */
  layout?: StreamLayout;
  registry?: EventSchemaRegistry;
  /** The HTTP request's `traceparent` header, used for events that carry none themselves. */
  traceparent?: string | null;
  /** The HTTP request's `tracestate` header, carried with its traceparent when tracing is on. */
  tracestate?: string | null;
  /** How long to wait for each PubAck. */
  publishTimeoutMs?: number;
  /** Prefix issue paths with the event's index (`0.data.sku`): batches. Default true. */
  indexIssues?: boolean;
  /**
   * The caller has already refused NUL, unpaired surrogates and over-deep nesting in these events
   * (POST /api/events scans the whole body in readJsonBody): skip the second scan per event.
   */
  inputChecked?: boolean;
  now?: () => Date;
}

export function streamLayoutFromEnv(): StreamLayout {
  const e = env();
  return { prefix: e.SYNCLINE_PREFIX, partitions: e.SYNCLINE_PARTITIONS, duplicateWindowMs: e.SYNCLINE_DUPLICATE_WINDOW_MS };
}

// Trace ids come from a pool of random bytes refilled 4 KB at a time: one call into the CSPRNG
// per ~170 events instead of two per event (it showed in the ingest profile; docs/decisions/0018).
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;
function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const hex = pool.toString("hex", poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** A new W3C traceparent: version 00, random trace and span ids, sampled. */
export function newTraceparent(): string {
  for (;;) {
    const traceId = randomHex(16);
    const spanId = randomHex(8);
    // All-zero ids are invalid; astronomically unlikely, but cheap to rule out.
    if (!/^0+$/.test(traceId) && !/^0+$/.test(spanId)) return `00-${traceId}-${spanId}-01`;
  }
}

// Header values cannot hold line breaks and nats.js trims them, so an id or subject with either
// would be stored under a different Nats-Msg-Id or ordering key than the body says. NUL and
// unpaired surrogates anywhere are refused first: the worker could not store such an event.
const checkHeaderValues = (event: CloudEvent, ctx: z.RefinementCtx) => {
  for (const key of ["id", "subject"] as const) {
    const value = event[key];
    if (value !== value.trim() || /[\r\n]/.test(value)) {
      ctx.addIssue({ code: "custom", path: [key], message: `${key} cannot start or end with whitespace or contain line breaks` });
    }
  }
};
const envelopeSchema = safeInputSchema.pipe(cloudEventSchema).superRefine(checkHeaderValues);
/** The same, for events whose unsafe input the caller has already refused (IngestOptions.inputChecked). */
const checkedEnvelopeSchema = cloudEventSchema.superRefine(checkHeaderValues);

const friendlyErrors: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === "invalid_type" && issue.input === undefined) {
    return issue.path?.[0] === "subject" ? "required: subject is the ordering key (e.g. the SKU)" : "required";
  }
  return undefined;
};

interface Prepared {
  event: CloudEvent;
  subject: string;
  payload: Uint8Array;
  traceparent: string;
  /** Only with tracing on (README "Traces"). */
  span: IngestSpan | undefined;
}

/**
 * Validates all events, then publishes them to JetStream concurrently and resolves once every
 * PubAck is in. Throws IngestValidationError (nothing published), IngestTooLargeError or
 * IngestUnavailableError.
 */
export async function ingestEvents(events: unknown[], options: IngestOptions = {}): Promise<IngestResult[]> {
  if (!tracingEnabled()) return publishEvents(events, options);
  const spans = new IngestSpans(options);
  try {
    const results = await publishEvents(events, options, spans);
    spans.end(results);
    return results;
  } catch (error) {
    spans.fail(error);
    throw error;
  }
}

async function publishEvents(events: unknown[], options: IngestOptions, spans?: IngestSpans): Promise<IngestResult[]> {
  const registry = options.registry ?? eventSchemaRegistry();
  const indexed = options.indexIssues ?? true;
  const now = options.now ?? (() => new Date());

  const issues: IngestIssue[] = [];
  const valid: CloudEvent[] = [];
  let invalidEvents = 0;
  const schema = options.inputChecked ? checkedEnvelopeSchema : envelopeSchema;
  for (let index = 0; index < events.length; index++) {
    const prefix = indexed ? String(index) : "";
    // Built-in and cached custom types answer at once; only a custom type the registry has to read
    // from the database waits (docs/decisions/0036: an await per event showed in the profile).
    const checked = validateEvent(events[index], registry, prefix, schema);
    const found = checked instanceof Promise ? await checked : checked;
    if (found.issues.length > 0) {
      invalidEvents++;
      for (const issue of found.issues) issues.push(issue);
    } else if (found.event) {
      valid.push(found.event);
    }
  }
  if (invalidEvents > 0) throw new IngestValidationError(issues, invalidEvents, events.length);

  const receivedAt = now().toISOString();
  const headerTraceparent = options.traceparent && traceparentSchema.safeParse(options.traceparent.trim()).success
    ? options.traceparent.trim()
    : undefined;
  const layout = options.layout ?? streamLayoutFromEnv();
  const encoder = new TextEncoder();
  const prepared: Prepared[] = valid.map((event) => {
    // The event's own traceparent (CloudEvents distributed-tracing extension) names the context it
    // was created in; the request's header is the next best thing; otherwise this starts a trace.
    const subject = eventSubject(layout, event.subject, event.type);
    const span = spans?.start(event, subject);
    const traceparent = event.traceparent ?? span?.traceparent ?? headerTraceparent ?? newTraceparent();
    // zod's output is this request's own copy of the event: completed in place, not copied again.
    event.time ??= receivedAt;
    event.traceparent = traceparent;
    return { event, subject, payload: encoder.encode(JSON.stringify(event)), traceparent, span };
  });

  const nc = await connection(options);
  checkPayloadSizes(nc, prepared, indexed);
  await ensureStream(nc, layout);

  const timeout = options.publishTimeoutMs ?? 5_000;
  const message = (p: Prepared): AckedMessage => {
    if (!p.span) {
      // The usual case: the headers written in one go, not built header by header (docs/decisions/0036).
      return { subject: p.subject, payload: p.payload, headers: eventHeaders([p.traceparent, p.event.subject, receivedAt, CONTENT_TYPE, p.event.id]) };
    }
    const h = natsHeaders();
    // With tracing on, the W3C propagator writes the ingest span's traceparent and tracestate.
    p.span.inject(h);
    if (!h.has(TRACEPARENT_HEADER)) h.set(TRACEPARENT_HEADER, p.traceparent);
    h.set(ORDERING_KEY_HEADER, p.event.subject);
    h.set(RECEIVED_AT_HEADER, receivedAt);
    h.set("Content-Type", CONTENT_TYPE);
    h.set(MSG_ID_HEADER, p.event.id);
    return { subject: p.subject, payload: p.payload, headers: h };
  };

  // All at once: one connection writes them in order, so events of one key in a batch keep
  // their order in the stream, and the acks come back in one round trip instead of N.
  const acks: (PubAck | undefined)[] = new Array(prepared.length);
  let pending = prepared.map((_, index) => index);
  for (let attempt = 0; ; attempt++) {
    const outcomes = await publishAckedAll(nc, pending.map((index) => message(prepared[index]!)), timeout);
    const failed: number[] = [];
    let firstError: unknown;
    let allUnavailable = true;
    for (let i = 0; i < outcomes.length; i++) {
      const outcome = outcomes[i]!;
      if (!(outcome instanceof Error)) {
        acks[pending[i]!] = outcome;
        continue;
      }
      failed.push(pending[i]!);
      firstError ??= outcome;
      if (!isJetStreamUnavailable(outcome)) allUnavailable = false;
    }
    if (failed.length === 0) break;
    if (isPayloadTooLarge(firstError)) {
      throw new IngestTooLargeError("An event is larger than the NATS server accepts per message (max_payload).", []);
    }
    // No responders on an events subject means no stream listens there: it was deleted (or the
    // NATS store was wiped) since we ensured it. Recreate it once and retry what failed; what
    // succeeded stays stored, and a client retrying the whole request gets "duplicate" for those.
    if (attempt === 0 && allUnavailable) {
      forgetStream(nc, layout);
      await ensureStream(nc, layout);
      pending = failed;
      continue;
    }
    throw unavailable("NATS did not confirm the events", firstError);
  }
  countIngested(prepared.map((p, index) => ({ type: p.event.type, duplicate: acks[index]?.duplicate === true })));
  return prepared.map((p, index) => ({ id: p.event.id, status: acks[index]?.duplicate ? "duplicate" : "accepted" }));
}

interface Validated {
  event?: CloudEvent;
  issues: IngestIssue[];
}

function validateEvent(
  raw: unknown,
  registry: EventSchemaRegistry,
  prefix: string,
  schema: typeof checkedEnvelopeSchema | typeof envelopeSchema,
): Validated | Promise<Validated> {
  // Parsed without the error map first: zod runs several times slower with one (docs/decisions/0036),
  // and it only words the messages. An invalid event is parsed again with it for the user's words.
  const envelope = schema.safeParse(raw);
  if (!envelope.success) {
    const named = schema.safeParse(raw, { error: friendlyErrors });
    const found = named.success ? envelope.error.issues : named.error.issues;
    return { issues: found.map((issue) => ({ path: joinPath(prefix, issue.path.map(String).join(".")), message: issue.message })) };
  }
  const event = envelope.data;
  const known = registry.validateKnown(event.type, event.data);
  if (known) return dataChecked(event, known, prefix);
  return registry.validate(event.type, event.data).then(
    (dataIssues) => dataChecked(event, dataIssues, prefix),
    (error: unknown) => {
      if (error instanceof SchemaRegistryUnavailableError) throw new IngestUnavailableError(error.message, { cause: error });
      throw error;
    },
  );
}

function dataChecked(event: CloudEvent, dataIssues: IngestIssue[], prefix: string): Validated {
  if (dataIssues.length > 0) return { issues: dataIssues.map((issue) => ({ ...issue, path: joinPath(prefix, issue.path) })) };
  return { event, issues: [] };
}

function joinPath(prefix: string, path: string): string {
  return prefix && path ? `${prefix}.${path}` : prefix || path;
}

function checkPayloadSizes(nc: NatsConnection, prepared: Prepared[], indexed: boolean) {
  const maxPayload = nc.info?.max_payload;
  if (!maxPayload) return;
  // Headers take a few hundred bytes of the same budget.
  const limit = maxPayload - 1024;
  const tooLarge = prepared.flatMap((p, index) =>
    p.payload.byteLength > limit
      ? [{ path: indexed ? String(index) : "", message: `the event is ${p.payload.byteLength} bytes; NATS accepts about ${limit} bytes per event (max_payload)` }]
      : [],
  );
  if (tooLarge.length > 0) throw new IngestTooLargeError("An event is larger than the NATS server accepts per message (max_payload).", tooLarge);
}

// ---------------------------------------------------------------------------------------------
// NATS

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error && !error.message.includes(error.cause.message) ? ` (${error.cause.message})` : "";
  return `${error.message}${cause}`;
}

function unavailable(what: string, error: unknown): IngestUnavailableError {
  const reason = isJetStreamUnavailable(error)
    ? "JetStream is not available (no responders: is nats-server running with -js?)"
    : describe(error);
  return new IngestUnavailableError(`${what}: ${reason}. The events were not stored; retry shortly.`, { cause: error });
}

// Whether a connection is currently connected, learnt from its status events. A disconnected
// nats.js connection buffers publishes until it reconnects, so without this a request during an
// outage would hang for the whole publish timeout before answering 503.
const links = new WeakMap<NatsConnection, { up: boolean }>();

function linkOf(nc: NatsConnection): { up: boolean } {
  let link = links.get(nc);
  if (!link) {
    const state = { up: !nc.isClosed() };
    link = state;
    links.set(nc, state);
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === "disconnect") state.up = false;
        else if (status.type === "reconnect") state.up = true;
      }
    })()
      .catch(() => {})
      .finally(() => {
        state.up = false;
      });
  }
  return link;
}

async function connection(options: IngestOptions): Promise<NatsConnection> {
  let nc: NatsConnection;
  try {
    nc = await (options.nats ?? sharedNats)();
  } catch (error) {
    throw unavailable("NATS is unreachable", error);
  }
  if (nc.isClosed()) throw new IngestUnavailableError("NATS is unreachable: the connection is closed. The events were not stored; retry shortly.");
  if (!linkOf(nc).up) {
    throw new IngestUnavailableError("NATS is unreachable: the connection is down and reconnecting. The events were not stored; retry shortly.");
  }
  return nc;
}


// Creating or checking the stream is a few JetStream API calls: once per connection and layout,
// not per request. A failure is forgotten, so the next request tries again.
const ensured = new WeakMap<NatsConnection, Map<string, Promise<void>>>();

function streamKey(layout: StreamLayout): string {
  return `${eventsStreamName(layout)}/${layout.partitions}/${layout.duplicateWindowMs}`;
}

function forgetStream(nc: NatsConnection, layout: StreamLayout) {
  ensured.get(nc)?.delete(streamKey(layout));
}

async function ensureStream(nc: NatsConnection, layout: StreamLayout): Promise<void> {
  let perConnection = ensured.get(nc);
  if (!perConnection) {
    perConnection = new Map();
    ensured.set(nc, perConnection);
  }
  const key = streamKey(layout);
  let ensuring = perConnection.get(key);
  if (!ensuring) {
    ensuring = (async () => {
      const jsm = await jetstreamManager(nc, { timeout: 5_000 });
      await ensureEventsStream(jsm, layout);
    })();
    perConnection.set(key, ensuring);
    const map = perConnection;
    ensuring.catch(() => {
      if (map.get(key) === ensuring) map.delete(key);
    });
  }
  try {
    await ensuring;
  } catch (error) {
    throw unavailable("The events stream could not be created or checked", error);
  }
}
