import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { sourceKinds } from "./source-kinds";

// A message a source could not turn into a valid event goes to the dead-letter inbox with its raw
// body, instead of being dropped. It belongs to no flow yet, so its letter names the source
// (`source:<id>` as the flow) and no partition; it cannot be redriven (the fix is in the sender or
// the mapping, and the sender publishes it again), only inspected and discarded.

const SOURCE_LETTER_PREFIX = "source:";
/** No worker owns it: a source letter is not in any partition's queue. */
export const SOURCE_LETTER_PARTITION = -1;

export const isSourceLetter = (flowId: string) => flowId.startsWith(SOURCE_LETTER_PREFIX);

export interface RejectedMessage {
  sourceId: string;
  /** What could be mapped before it failed. */
  eventId: string;
  eventType: string;
  orderingKey: string;
  /** The body exactly as received: UTF-8 text, or base64 when it is not text. */
  body: Buffer;
  headers: Record<string, unknown>;
  error: string;
  issues: { path: string; message: string }[];
}

function rawBody(body: Buffer): { raw: string; encoding: "utf8" | "base64" } {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(body);
  return Buffer.from(text, "utf8").equals(body) && !text.includes("\u0000") ? { raw: text, encoding: "utf8" } : { raw: body.toString("base64"), encoding: "base64" };
}

/** Headers as JSON (Buffers as text, BigInts as strings). */
function jsonHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(headers, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value))) as Record<string, unknown>;
}

export async function recordRejectedMessage(db: PrismaClient, message: RejectedMessage, at = new Date()): Promise<string> {
  const headers = jsonHeaders(message.headers);
  const row = await db.deadLetter.create({
    data: {
      flowId: `${SOURCE_LETTER_PREFIX}${message.sourceId}`,
      flowVersion: 0,
      nodeId: null,
      orderingKey: message.orderingKey.slice(0, 500),
      eventId: message.eventId.slice(0, 500),
      eventType: message.eventType.slice(0, 200),
      event: { source: `/sources/${message.sourceId}`, ...rawBody(message.body), headers, issues: message.issues } as object,
      headers: headers as object,
      attempts: [{ at: at.toISOString(), error: message.error, transient: false }],
      error: message.error.slice(0, 4000),
      traceId: "",
      sequence: 0n,
      partition: SOURCE_LETTER_PARTITION,
    },
    select: { id: true },
  });
  return row.id;
}

/** The source a letter came from, as the dead-letter inbox and API name it. */
export interface LetterSource {
  id: string;
  name: string;
  kind: string;
  /** The kind in the user's words, e.g. "RabbitMQ queue". */
  kindLabel: string;
}

/** The sources behind the source letters among `flowIds` (`source:<id>`), by flow id; a deleted source is left out. */
export async function letterSources(db: Pick<PrismaClient, "source">, flowIds: Iterable<string>): Promise<Map<string, LetterSource>> {
  const ids = [...new Set([...flowIds].filter(isSourceLetter).map((flowId) => flowId.slice(SOURCE_LETTER_PREFIX.length)))];
  if (ids.length === 0) return new Map();
  const rows = await db.source.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, kind: true } });
  return new Map(rows.map((row) => [
    `${SOURCE_LETTER_PREFIX}${row.id}`,
    { ...row, kindLabel: (sourceKinds as Record<string, { label: string }>)[row.kind]?.label ?? row.kind },
  ]));
}

/** How a source letter's owner reads where a flow name would: "ERP stock (RabbitMQ queue source)". */
export const letterSourceName = (source: LetterSource) => `${source.name} (${source.kindLabel} source)`;
