import { randomFillSync } from "node:crypto";

// The W3C trace context of an event as the runtime records it (README "Traces"): the trace id of
// every run, so runs can be searched by it, whether tracing is on or not.

/** 16 bytes of trace id and 8 of parent id per traceparent. */
const ID_BYTES = 24;
/** Random bytes are drawn for this many traceparents at a time: one call instead of one per event. */
const IDS_PER_DRAW = 256;
const ZERO_TRACE_ID = "0".repeat(32);
const ZERO_PARENT_ID = "0".repeat(16);

const randomIds = Buffer.alloc(ID_BYTES * IDS_PER_DRAW);
let drawn = randomIds.length;

/** A traceparent that starts a new trace (sampled). */
function newTraceparent(): string {
  for (;;) {
    if (drawn === randomIds.length) {
      randomFillSync(randomIds);
      drawn = 0;
    }
    const hex = randomIds.toString("hex", drawn, drawn + ID_BYTES);
    drawn += ID_BYTES;
    const traceId = hex.slice(0, 32);
    const parentId = hex.slice(32);
    // All zeros is not a valid id (W3C Trace Context); unlikely as it is, never hand one out.
    if (traceId !== ZERO_TRACE_ID && parentId !== ZERO_PARENT_ID) return `00-${traceId}-${parentId}-01`;
  }
}

/**
 * The W3C trace context of an event: its own `traceparent` extension, else the publisher's
 * header, else a fresh one (so every run has a trace id to search for).
 */
export function traceparentOf(event: { traceparent?: string }, headers: Readonly<Record<string, string>>): string {
  return event.traceparent ?? headers.traceparent ?? newTraceparent();
}

/** The trace id of a traceparent: its second dash-separated field ("" when there is none). */
export function traceIdOf(traceparent: string): string {
  const start = traceparent.indexOf("-") + 1;
  if (start === 0) return "";
  const end = traceparent.indexOf("-", start);
  return end === -1 ? traceparent.slice(start) : traceparent.slice(start, end);
}
