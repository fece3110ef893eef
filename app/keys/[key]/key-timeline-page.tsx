"use client";
import { CircleSlash } from "lucide-react";
import Link from "next/link";
import { useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/trpc-client";
import { RunStatusBadge, formatDuration } from "@/app/components/run-status";
import { EmptyState, ErrorState, LoadingRows } from "@/app/components/states";
import type { KeyTimeline, TimelineEntry } from "@/server/history/run-history";
import "@/app/components/history-components.css";
import "./key-timeline.css";

// Everything that happened to one ordering key, grouped by event in publish order (stream
// sequence): per event, what each flow did with it — ran, is held, dead-lettered, redriven.

interface EventGroup {
  eventId: string;
  sequence: bigint;
  eventType: string | null;
  at: Date;
  entries: TimelineEntry[];
}

function groupByEvent(timeline: KeyTimeline): EventGroup[] {
  const groups = new Map<string, EventGroup>();
  for (const entry of timeline.entries) {
    const { eventId, sequence, eventType } =
      entry.kind === "run" ? entry.run : entry.kind === "dead-letter" ? entry.deadLetter : entry.held;
    const group = groups.get(eventId) ?? { eventId, sequence: BigInt(sequence), eventType, at: new Date(entry.at), entries: [] };
    group.entries.push(entry);
    if (new Date(entry.at) < group.at) group.at = new Date(entry.at);
    groups.set(eventId, group);
  }
  return [...groups.values()].sort((a, b) => (a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0));
}

export function KeyTimelinePage({ orderingKey }: { orderingKey: string }) {
  const trpc = useTRPC();
  const timeline = useQuery({ ...trpc.runs.timeline.queryOptions({ subject: orderingKey, limit: 200 }), refetchInterval: 5_000 });
  // Runs that carry the key without it being their ordering key, e.g. orders with this SKU on a line.
  const mentions = useQuery(trpc.runs.search.queryOptions({ key: orderingKey, kind: "all", limit: 50 }));
  const groups = useMemo(() => (timeline.data ? groupByEvent(timeline.data) : []), [timeline.data]);
  const otherRuns = (mentions.data?.runs ?? []).filter((r) => r.orderingKey !== orderingKey);
  const openDeadLetters = new Map<string, string>();
  for (const e of timeline.data?.entries ?? []) {
    if (e.kind === "dead-letter" && e.deadLetter.status === "open") openDeadLetters.set(e.deadLetter.flowId, e.deadLetter.id);
  }

  return (
    <div className="page">
      <div className="page-inner">
        <nav aria-label="Breadcrumb" className="small breadcrumb"><Link href="/runs">Runs</Link> / key</nav>
        <div className="page-header">
          <div>
            <h1>Key <span className="mono key-title">{orderingKey}</span></h1>
            <p className="muted" style={{ margin: "4px 0 0" }}>Everything that happened to this ordering key across all flows, in publish order.</p>
          </div>
          <span className="spacer" />
          <Link className="btn" href={`/runs?subject=${encodeURIComponent(orderingKey)}&kind=all`}>Runs of this key</Link>
        </div>

        <section className="card" aria-label="Timeline">
          {timeline.isPending ? (
            <LoadingRows rows={5} label="Loading the key's timeline" />
          ) : timeline.isError ? (
            <div className="card-body"><ErrorState message={`Could not load the timeline: ${timeline.error.message}`} onRetry={() => void timeline.refetch()} /></div>
          ) : groups.length === 0 ? (
            <EmptyState icon={CircleSlash} title={`Nothing happened to “${orderingKey}” yet`}>
              Ordering keys are the events’ <code>subject</code> and match exactly (SKU-123 is not sku-123).
              {otherRuns.length > 0 && " It does appear in other runs, listed below."}
            </EmptyState>
          ) : (
            <ol className="key-timeline" data-testid="key-timeline">
              {timeline.data.truncated && <li className="muted small key-truncated">Older history is not shown.</li>}
              {groups.map((g) => (
                <li key={g.eventId} className="key-event" data-testid="key-event">
                  <div className="key-event-head">
                    <span className="key-seq mono" title="Stream sequence (publish order)">#{g.sequence.toString()}</span>
                    <strong>{g.eventType ?? "event"}</strong>
                    <span className="mono small muted">{g.eventId}</span>
                    <span className="spacer" />
                    <time className="small muted" dateTime={g.at.toISOString()}>{g.at.toLocaleString()}</time>
                  </div>
                  <ul className="key-outcomes">
                    {g.entries.map((e, i) => <Outcome key={i} entry={e} openDeadLetters={openDeadLetters} />)}
                  </ul>
                </li>
              ))}
            </ol>
          )}
        </section>

        {otherRuns.length > 0 && (
          <section className="card" aria-labelledby="mentions-title">
            <div className="card-body"><h2 id="mentions-title">Other runs that mention {orderingKey}</h2></div>
            <ul className="key-outcomes key-mentions">
              {otherRuns.map((r) => (
                <li key={r.id}>
                  <RunStatusBadge status={r.status} />
                  <Link href={`/runs/${r.id}`}>{r.flowName ?? "Deleted flow"} v{r.flowVersion}</Link>
                  <span className="small muted">{r.eventType} for <Link href={`/keys/${encodeURIComponent(r.orderingKey)}`} className="mono">{r.orderingKey}</Link></span>
                  <span className="spacer" />
                  <span className="small muted">{new Date(r.startedAt).toLocaleString()}</span>
                </li>
              ))}
            </ul>
          </section>
        )}
      </div>
    </div>
  );
}

function Outcome({ entry, openDeadLetters }: { entry: TimelineEntry; openDeadLetters: Map<string, string> }) {
  if (entry.kind === "run") {
    const r = entry.run;
    return (
      <li>
        <RunStatusBadge status={r.status} />
        <Link href={`/runs/${r.id}`}>{r.flowName ?? "Deleted flow"} v{r.flowVersion}</Link>
        <span className="small muted">run{r.attempts > 1 ? `, ${r.attempts} attempts` : ""}{r.durationMs !== null ? `, ${formatDuration(r.durationMs)}` : ""}</span>
        {r.error && <span className="small key-error">{r.error}</span>}
      </li>
    );
  }
  if (entry.kind === "dead-letter") {
    const d = entry.deadLetter;
    const label = d.status === "redriven" ? "Redriven" : d.status === "redrive-requested" ? "Redrive requested" : d.status === "discarded" ? "Discarded" : "Dead letter";
    return (
      <li>
        <span className={`badge ${d.status === "open" ? "badge-danger" : d.status === "redriven" ? "badge-success" : ""}`}>{label}</span>
        <Link href={`/dead-letters/${d.id}`}>{d.flowName ?? "Deleted flow"} v{d.flowVersion}</Link>
        <span className="small key-error">{d.nodeId ? `at ${d.nodeId}: ` : ""}{d.error}</span>
      </li>
    );
  }
  const h = entry.held;
  const behindDeadLetter = h.attempts === 0 && openDeadLetters.has(h.flowId);
  return (
    <li>
      <span className="badge badge-warning">Held</span>
      <Link href={`/runs/${h.runId}`}>{h.flowName ?? "Deleted flow"} v{h.flowVersion}</Link>
      <span className="small muted">
        {h.attempts > 0
          ? `retrying (attempt ${h.attempts} failed${h.lastError ? `: ${h.lastError}` : ""}), next try ${new Date(h.nextAttemptAt).toLocaleTimeString()}`
          : behindDeadLetter
            ? `waiting behind a dead letter in ${h.flowName ?? "this flow"}`
            : "waiting behind an earlier event of this key"}
      </span>
    </li>
  );
}
