import { Counter, Registry } from "prom-client";

// Events accepted by this process's ingest, by type. Kept in memory (a Prometheus counter resets
// when the process restarts, which rate() handles); each web instance is scraped on its own. On
// globalThis so Next's module re-evaluation in dev keeps one counter.

const KEY = Symbol.for("syncline.monitoring.ingestCounter");

interface IngestMetrics {
  registry: Registry;
  ingested: Counter<"type">;
}

export function ingestMetrics(): IngestMetrics {
  const g = globalThis as typeof globalThis & { [KEY]?: IngestMetrics };
  if (!g[KEY]) {
    const registry = new Registry();
    const ingested = new Counter({
      name: "syncline_events_ingested_total",
      help: "Events accepted by POST /api/events (duplicates not counted), by event type",
      labelNames: ["type"] as const,
      registers: [registry],
    });
    g[KEY] = { registry, ingested };
  }
  return g[KEY];
}

/** Called by ingest once JetStream acknowledged the events. Types are registry-checked, so bounded. */
export function countIngested(events: { type: string; duplicate: boolean }[]) {
  const { ingested } = ingestMetrics();
  // One inc per type, not per event: prom-client hashes the labels on every call (docs/decisions/0036).
  const perType = new Map<string, number>();
  for (const event of events) if (!event.duplicate) perType.set(event.type, (perType.get(event.type) ?? 0) + 1);
  for (const [type, count] of perType) ingested.inc({ type }, count);
}
