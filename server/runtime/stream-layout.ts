import type { JetStreamManager } from "@nats-io/jetstream";
import { isStreamNotFound } from "../nats/nats-errors";

// Where events live in JetStream. NATS 2.9 has no server-side subject transforms, so the
// publisher computes the partition: `<prefix>.events.<partition>.<type>`. Every event of one
// ordering key lands in one partition, and one worker at a time owns a partition, which is what
// keeps per-key order with several workers.

export interface StreamLayout {
  prefix: string;
  partitions: number;
  duplicateWindowMs: number;
}

export function eventsStreamName(layout: Pick<StreamLayout, "prefix">): string {
  return `${layout.prefix}_events`.replace(/[^A-Za-z0-9_-]/g, "_");
}

function eventsSubjectRoot(layout: Pick<StreamLayout, "prefix">): string {
  return `${layout.prefix}.events`;
}

export function partitionSubjectFilter(layout: Pick<StreamLayout, "prefix">, partition: number): string {
  return `${eventsSubjectRoot(layout)}.${partition}.>`;
}

/** NATS subject tokens may not contain spaces, `.`-empty tokens, `*` or `>`. */
function subjectToken(type: string): string {
  return type.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/\.{2,}/g, ".").replace(/^\.|\.$/g, "_");
}

export function eventSubject(layout: StreamLayout, orderingKey: string, type: string): string {
  return `${eventsSubjectRoot(layout)}.${partitionOf(orderingKey, layout.partitions)}.${subjectToken(type)}`;
}

/** FNV-1a over the UTF-8 bytes: stable across processes, languages and restarts. */
export function partitionOf(orderingKey: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(orderingKey)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/** Subject on which the web app tells workers that something changed (publish, redrive, …). */
export function controlSubject(layout: Pick<StreamLayout, "prefix">, topic: "flows" | "dead-letters"): string {
  return `${layout.prefix}.control.${topic}`;
}

/**
 * Creates the events stream or updates its settings; safe to call from every process at start.
 * Limits retention: consumption progress is tracked per partition in the database (cursor),
 * so messages must stay readable after they are acked.
 */
export async function ensureEventsStream(jsm: JetStreamManager, layout: StreamLayout, maxAgeMs = 7 * 24 * 3600_000) {
  const name = eventsStreamName(layout);
  const config = {
    name,
    subjects: [`${eventsSubjectRoot(layout)}.>`],
    duplicate_window: layout.duplicateWindowMs * 1_000_000,
    max_age: maxAgeMs * 1_000_000,
  };
  try {
    const info = await jsm.streams.info(name);
    if (info.config.duplicate_window !== config.duplicate_window || info.config.max_age !== config.max_age) {
      await jsm.streams.update(name, { ...info.config, duplicate_window: config.duplicate_window, max_age: config.max_age });
    }
  } catch (error) {
    if (!isStreamNotFound(error)) throw error;
    try {
      await jsm.streams.add(config);
    } catch (addError) {
      // Another process created it between our info and add.
      if (!String((addError as Error).message).includes("already in use")) throw addError;
    }
  }
  return name;
}
