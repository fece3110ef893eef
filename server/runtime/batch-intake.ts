import type { ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import type { CloudEvent } from "@/server/events/event-types";
import { traceparentOf } from "@/server/tracing/trace-context";
import type { RuntimeEvent } from "./outcome-rows";

// Intake: turns a partition's consumer into batches of "whatever has arrived" (one message at low
// load for low latency, hundreds at high load for few commits) and reads each message's event.

/** Calls `onBatch` with up to `batchSize` messages at a time, in stream order, until the iterator ends or `isStopping()`. */
export async function consumeInBatches(
  messages: ConsumerMessages,
  batchSize: number,
  isStopping: () => boolean,
  onBatch: (batch: JsMsg[]) => Promise<void>,
): Promise<void> {
  let buffer: JsMsg[] = [];
  let wake: (() => void) | undefined;
  let space: (() => void) | undefined;
  let ended = false;
  // Drain the iterator into a buffer while a batch is being processed, so the next batch is
  // everything that arrived meanwhile — up to one batch: the consumer only pulls more from
  // the server as its iterator is read, so pausing here bounds the messages held in memory
  // (otherwise a backlog streams in up to the consumer's max_ack_pending per partition).
  const maxBuffered = batchSize;
  const pump = (async () => {
    for await (const msg of messages) {
      buffer.push(msg);
      wake?.();
      if (buffer.length >= maxBuffered && !isStopping()) await new Promise<void>((resolve) => (space = resolve));
    }
    ended = true;
    wake?.();
  })();
  while (!isStopping()) {
    if (buffer.length === 0) {
      if (ended) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      continue;
    }
    const taken = buffer.length > batchSize ? buffer.splice(0, batchSize) : buffer;
    if (taken === buffer) buffer = [];
    space?.();
    space = undefined;
    await onBatch(taken);
  }
  space?.();
  await pump.catch(() => undefined);
}

/**
 * The event of a stream message. An event without trace context gets one here, kept in its
 * headers, so its retries, dead letter and redrive carry the same trace id as its first run.
 */
export function readEventMessage(msg: JsMsg): RuntimeEvent {
  const event = msg.json<CloudEvent>();
  const headers: Record<string, string> = {};
  for (const [name, values] of msg.headers ?? []) headers[name] = values[0] ?? "";
  const traceparent = traceparentOf(event, headers);
  if (event.traceparent === undefined) headers.traceparent = traceparent;
  return { event, headers, sequence: BigInt(msg.seq), traceparent, delivery: { stream: msg.info.stream, count: msg.info.deliveryCount, publishedAt: new Date(Math.floor(msg.info.timestampNanos / 1e6)) } };
}
