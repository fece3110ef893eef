import "server-only";
import { createHash } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import type { PrismaClient } from "@/server/db/generated/client";
import { IngestTooLargeError, IngestValidationError, ingestEvents } from "@/server/events/ingest";
import type { EventSchemaRegistry } from "@/server/events/event-schema-registry";
import { evaluateExpression } from "@/server/expressions/evaluate-expression";
import { ExpressionError } from "@/server/expressions/expression-syntax";
import { evaluateKey, KeyExpressionError } from "@/server/expressions/evaluate-key";
import type { IngestOptions } from "@/server/events/ingest";
type StreamLayout = NonNullable<IngestOptions["layout"]>;
import type { SourceMapping } from "./source-kinds";
import { recordRejectedMessage } from "./source-dead-letters";

// One message of a source becomes one CloudEvent on the normal ingest path (validated against the
// schema registry, stored in JetStream, answered after the PubAck). The mapping's expressions see
// the message as a draft event, like a webhook trigger's: event.data.body, event.data.headers and
// the broker's fields (event.data.routingKey, event.data.messageId…).
//
// Resolves once the message may be acknowledged to its broker: published (or a duplicate), or
// dead-lettered because it cannot become a valid event. Throws when it should be tried again
// (NATS or the database unavailable).

export interface IncomingMessage {
  body: Buffer;
  headers: Record<string, unknown>;
  /** The broker's id for the message: the default event id. */
  messageId?: string;
  /** Broker fields the expressions may use (routingKey, exchange, topic…). */
  fields?: Record<string, unknown>;
  /** What the event carries when the mapping names no data; default the body (EventBridge: its detail). */
  defaultData?: unknown;
}

export interface IntakeSource {
  id: string;
  mapping: SourceMapping;
}

export interface IntakeOptions {
  db: PrismaClient;
  nats?: () => Promise<NatsConnection>;
  layout?: StreamLayout;
  registry?: EventSchemaRegistry;
  now?: () => Date;
}

export type IntakeOutcome =
  | { status: "accepted" | "duplicate"; id: string }
  | { status: "dead-lettered"; deadLetterId: string; error: string };

const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");

function parseBody(body: Buffer): unknown {
  const text = body.toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Header values as JSON values: AMQP gives Buffers for byte strings and may give BigInts. */
function plainHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = Buffer.isBuffer(value) ? value.toString("utf8") : typeof value === "bigint" ? value.toString() : value;
  }
  return out;
}

/** Ids longer than fit, or with line breaks, are hashed (the same message always gets the same id). */
const safeId = (value: string) => (value.length <= 128 && !/[\r\n]/.test(value) ? value : sha256(value));

export async function takeInMessage(source: IntakeSource, message: IncomingMessage, options: IntakeOptions): Promise<IntakeOutcome> {
  const headers = plainHeaders(message.headers);
  const draft = {
    source: `/sources/${source.id}`,
    data: { body: parseBody(message.body), headers, messageId: message.messageId ?? null, ...message.fields },
  };
  const { mapping } = source;
  const known = { type: "(not mapped)", orderingKey: "(not mapped)", id: message.messageId ?? `sha256-${sha256(message.body)}` };
  const reject = async (error: string, issues: { path: string; message: string }[]): Promise<IntakeOutcome> => {
    const deadLetterId = await recordRejectedMessage(options.db, {
      sourceId: source.id, eventId: known.id, eventType: known.type, orderingKey: known.orderingKey,
      body: message.body, headers, error, issues,
    }, options.now?.());
    return { status: "dead-lettered", deadLetterId, error };
  };

  let data: unknown;
  try {
    known.type = await evaluateKey("source", "event type", "mapping.type", mapping.type, draft);
    known.orderingKey = await evaluateKey("source", "ordering key", "mapping.orderingKey", mapping.orderingKey, draft);
    if (mapping.id.trim()) known.id = await evaluateKey("source", "event id", "mapping.id", mapping.id, draft);
    if (mapping.data.trim()) {
      try {
        data = await evaluateExpression(mapping.data, { event: draft, steps: {} });
      } catch (error) {
        const reason = error instanceof ExpressionError ? error.reason : String(error);
        throw new KeyExpressionError(`The source's data expression failed on this message: ${reason}`, "mapping.data", reason);
      }
    } else data = "defaultData" in message ? message.defaultData : draft.data.body;
  } catch (error) {
    if (error instanceof KeyExpressionError) return reject(error.message, error.issues);
    throw error;
  }

  // Scoped to the source, so two sources' message ids cannot collide.
  const id = `source:${source.id}:${safeId(known.id)}`;
  known.id = id;
  try {
    const [result] = await ingestEvents(
      [{ specversion: "1.0", id, type: known.type, source: draft.source, subject: known.orderingKey, ...(data === undefined ? {} : { data }), datacontenttype: "application/json" }],
      { nats: options.nats, layout: options.layout, registry: options.registry, indexIssues: false, now: options.now },
    );
    return { status: result!.status, id };
  } catch (error) {
    if (error instanceof IngestValidationError || error instanceof IngestTooLargeError) {
      const issues = error.issues.map((issue) => ({ path: issue.path, message: issue.message }));
      const detail = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
      return reject(`The message is not a valid ${known.type} event${detail ? ` (${detail})` : ""}.`, issues);
    }
    throw error;
  }
}
