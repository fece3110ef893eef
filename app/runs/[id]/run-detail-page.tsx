"use client";
import { CircleSlash } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { Dialog } from "@/app/components/dialog";
import { CopyButton } from "@/app/components/copy-button";
import { JsonViewer } from "@/app/components/json-viewer";
import { RunStatusBadge, formatDuration } from "@/app/components/run-status";
import { EmptyState, ErrorState, LoadingRows } from "@/app/components/states";
import { useToast } from "@/app/components/toast";
import type { RunDetailView, RunStep } from "@/server/history/run-detail";
import { buildWaterfall, type WaterfallBar } from "./run-waterfall";
import { RunGraph, type NodeOutcome } from "./run-graph";
import "../runs.css";
import "@/app/components/history-components.css";
import "./run-detail.css";

const RECEIVED_AT_HEADER = "Syncline-Received-At";

export function RunDetailPage({ runId }: { runId: string }) {
  const trpc = useTRPC();
  // A run that is still going changes; refresh it until it settles.
  const run = useQuery({
    ...trpc.runs.detail.queryOptions({ id: runId }),
    refetchInterval: (q) => (q.state.data && !q.state.data.finishedAt ? 1_000 : false),
  });
  const [selected, setSelected] = useState<string | null>(null);
  const [rerunning, setRerunning] = useState(false);

  if (run.isPending) return <div className="page"><div className="page-inner"><LoadingRows rows={6} label="Loading run" /></div></div>;
  if (run.isError) {
    return (
      <div className="page"><div className="page-inner">
        {run.error.data?.code === "NOT_FOUND" ? (
          <div className="card"><EmptyState icon={CircleSlash} title="Run not found" action={<Link className="btn" href="/runs">All runs</Link>}>No run has the id “{runId}”. It may have been removed by retention.</EmptyState></div>
        ) : (
          <ErrorState message={`Could not load the run: ${run.error.message}`} onRetry={() => void run.refetch()} />
        )}
      </div></div>
    );
  }
  const data = run.data;
  const step = data.steps.find((s) => s.nodeId === selected) ?? null;
  return (
    <div className="page">
      <div className="page-inner run-detail">
        <nav aria-label="Breadcrumb" className="small breadcrumb"><Link href="/runs">Runs</Link> / <span className="mono">{data.id.slice(0, 8)}</span></nav>
        <div className="page-header">
          <div>
            <h1 style={{ display: "flex", alignItems: "center", gap: 10 }}>
              {data.flowName ?? "Deleted flow"} <span className="muted" style={{ fontWeight: 500 }}>{data.test ? `draft${data.testMode === "dry" ? " · dry run" : " · live"}` : `v${data.flowVersion}`}</span>
              <RunStatusBadge status={data.status} />
              {data.test && <span className="badge badge-accent">test</span>}
            </h1>
            <p className="muted small" style={{ margin: "6px 0 0" }}>
              {data.eventType} for <Link href={`/keys/${encodeURIComponent(data.orderingKey)}`} className="mono">{data.orderingKey}</Link>
              {" · "}started {new Date(data.startedAt).toLocaleString()}
              {" · "}{data.finishedAt ? `took ${formatDuration(data.durationMs)}` : "still running"}
              {" · "}{data.attempts} attempt{data.attempts === 1 ? "" : "s"}
            </p>
          </div>
          <span className="spacer" />
          <Link className="btn" href={`/keys/${encodeURIComponent(data.orderingKey)}`}>Key timeline</Link>
          {data.deadLetter && <Link className="btn" href={`/dead-letters/${data.deadLetter.id}`}>Dead letter ({data.deadLetter.status})</Link>}
          {/* A test run ran an editor draft, not a version: test it again from the editor. */}
          {!data.test && <button className="btn btn-primary" onClick={() => setRerunning(true)} disabled={!data.event}>Rerun…</button>}
        </div>
        {data.error && <div className="alert alert-danger" role="alert"><strong>Error:</strong> {data.error}</div>}

        <div className="run-columns">
          <div className="run-main">
            <section className="card" aria-labelledby="waterfall-title">
              <div className="card-body card-title-row"><h2 id="waterfall-title">Timeline</h2><WaterfallLegend /></div>
              <Waterfall run={data} selected={selected} onSelect={setSelected} />
            </section>
            {data.flowDocument && (
              <section className="card" aria-labelledby="graph-title">
                <div className="card-body card-title-row"><h2 id="graph-title">{data.test ? "Draft tested" : `Flow v${data.flowVersion}`}</h2><span className="muted small">Click a node to see its step</span></div>
                <RunGraph document={data.flowDocument} outcomes={outcomesOf(data)} selected={selected} onSelect={setSelected} />
              </section>
            )}
          </div>
          <div className="run-side">
            <StepPanel step={step} run={data} onClear={() => setSelected(null)} />
            <EventPanel run={data} />
          </div>
        </div>
      </div>
      {rerunning && <RerunDialog run={data} onClose={() => setRerunning(false)} />}
    </div>
  );
}

function outcomesOf(run: RunDetailView): Map<string, NodeOutcome> {
  const map = new Map<string, NodeOutcome>();
  for (const s of run.steps) map.set(s.nodeId, s.status === "suspended" ? "waiting" : s.status);
  for (const a of run.failedAttempts) if (a.nodeId && !map.has(a.nodeId)) map.set(a.nodeId, run.status === "retrying" ? "waiting" : "failed");
  return map;
}

function WaterfallLegend() {
  return (
    <span className="wf-legend small muted" aria-hidden>
      <span><i className="wf-swatch wf-queued" /> queued</span>
      <span><i className="wf-swatch wf-held" /> held</span>
      <span><i className="wf-swatch wf-attempt status-succeeded" /> running</span>
      <span><i className="wf-swatch wf-attempt status-failed" /> failed attempt</span>
      <span><i className="wf-swatch wf-backoff" /> backoff</span>
    </span>
  );
}

function Waterfall({ run, selected, onSelect }: { run: RunDetailView; selected: string | null; onSelect: (id: string) => void }) {
  const [now] = useState(() => Date.now());
  const { rows, start, end } = useMemo(
    () => buildWaterfall({ ...run, receivedAt: run.headers[RECEIVED_AT_HEADER] ?? null, now }),
    [run, now],
  );
  if (rows.length === 0) return <p className="card-body muted">No step has run yet.</p>;
  const span = end - start;
  const pos = (b: WaterfallBar) => ({ left: `${((b.start - start) / span) * 100}%`, width: `max(3px, ${((b.end - b.start) / span) * 100}%)` });
  return (
    <div className="waterfall" data-testid="waterfall">
      <div className="wf-axis small muted" aria-hidden><span>0 ms</span><span>{formatDuration(span / 2)}</span><span>{formatDuration(span)}</span></div>
      <ul className="wf-rows">
        {rows.map((row) => {
          const step = run.steps.find((s) => s.nodeId === row.nodeId);
          const summary = row.bars.map((b) => `${b.label} (${formatDuration(b.end - b.start)})`).join("; ");
          const content = (
            <>
              <span className="wf-label">
                <span className="mono">{row.label}</span>
                {step && <span className="muted small"> {step.kind.replace(/^action:|^trigger:/, "")}</span>}
              </span>
              <span className="wf-track">
                {row.bars.map((bar, i) => (
                  <span key={i} className={`wf-bar wf-${bar.kind} status-${bar.status ?? ""}`} style={pos(bar)} title={`${bar.label}${bar.error ? `: ${bar.error}` : ""} · ${formatDuration(bar.end - bar.start)}`} />
                ))}
              </span>
            </>
          );
          return (
            <li key={row.id} data-testid={`waterfall-row-${row.id}`}>
              {row.nodeId ? (
                <button type="button" className={`wf-row${selected === row.nodeId ? " is-selected" : ""}`} aria-pressed={selected === row.nodeId} aria-label={`Step ${row.label}: ${summary}`} onClick={() => onSelect(row.nodeId!)}>
                  {content}
                </button>
              ) : (
                <div className="wf-row" aria-label={`${row.label}: ${summary}`} role="group">{content}</div>
              )}
              {row.bars.filter((b) => b.kind === "attempt" && b.status === "failed").map((b, i) => (
                <p key={i} className="wf-error small"><strong>Attempt {b.attempt}:</strong> {b.error}
                  {(() => { const backoff = row.bars.find((x) => x.kind === "backoff" && x.attempt === b.attempt); return backoff ? <span className="muted"> — retried after {formatDuration(backoff.end - backoff.start)}</span> : null; })()}
                </p>
              ))}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function StepPanel({ step, run, onClear }: { step: RunStep | null; run: RunDetailView; onClear: () => void }) {
  if (!step) {
    return (
      <section className="card" aria-labelledby="step-title">
        <div className="card-body">
          <h2 id="step-title">Step</h2>
          <p className="muted small" style={{ margin: "6px 0 0" }}>Select a step in the timeline or the graph to see its input, output and error.</p>
        </div>
      </section>
    );
  }
  const input = step.input as Record<string, unknown> | undefined;
  const output = step.output as Record<string, unknown> | undefined;
  const outbound = input && typeof input.url === "string" ? { method: String(input.method ?? "GET"), url: input.url, status: output?.status } : null;
  const failures = run.failedAttempts.filter((a) => a.nodeId === step.nodeId);
  return (
    <section className="card" aria-labelledby="step-title" data-testid="step-panel">
      <div className="card-body step-panel">
        <div className="card-title-row">
          <h2 id="step-title">Step <span className="mono">{step.nodeId}</span></h2>
          <RunStatusBadge status={step.status} />
          <span className="spacer" />
          <button className="btn btn-sm btn-ghost" onClick={onClear} aria-label="Close step">Close</button>
        </div>
        <dl className="facts small">
          <dt>Kind</dt><dd className="mono">{step.kind}</dd>
          <dt>Attempt</dt><dd>{step.attempt}{failures.length ? ` (${failures.length} failed before)` : ""}</dd>
          <dt>Duration</dt><dd>{formatDuration(new Date(step.finishedAt).getTime() - new Date(step.startedAt).getTime())}</dd>
          {step.idempotencyKey && (<><dt>Idempotency key</dt><dd className="mono break">{step.idempotencyKey} <CopyButton text={step.idempotencyKey} label="Copy idempotency key" /></dd></>)}
        </dl>
        {outbound && (
          <div className="outbound" data-testid="outbound-request">
            <h3>Outbound request</h3>
            <p className="mono small break"><strong>{outbound.method}</strong> {outbound.url}{outbound.status !== undefined && <> → <strong>{String(outbound.status)}</strong></>}</p>
          </div>
        )}
        {step.error && <div className="alert alert-danger small" role="alert">{step.error}</div>}
        <JsonViewer label="Step input" value={step.input} testId="step-input" />
        <JsonViewer label="Step output" value={step.output} testId="step-output" />
      </div>
    </section>
  );
}

function EventPanel({ run }: { run: RunDetailView }) {
  const traceId = run.traceId;
  return (
    <section className="card" aria-labelledby="event-title">
      <div className="card-body step-panel">
        <h2 id="event-title">Event</h2>
        <dl className="facts small">
          <dt>Event id</dt><dd className="mono break">{run.eventId}</dd>
          <dt>Trace id</dt><dd className="mono break">{traceId || "—"} {traceId && <CopyButton text={traceId} label="Copy trace id" />}</dd>
          <dt>Stream</dt><dd className="mono">{run.broker.stream ?? "—"}</dd>
          <dt>Sequence</dt><dd className="mono">{run.broker.sequence}</dd>
          <dt>Partition</dt><dd>{run.broker.partition ?? "—"}</dd>
          <dt>Deliveries</dt><dd>{run.broker.deliveryCount}</dd>
          <dt>Worker</dt><dd className="mono break">{run.broker.worker ?? "—"}</dd>
        </dl>
        {run.event === null && <p className="small muted">This run was recorded before Syncline kept events with runs.</p>}
        <JsonViewer label="Event" value={run.event ?? undefined} expandDepth={1} testId="event-json" />
        <JsonViewer label="Headers" value={run.headers} expandDepth={1} />
      </div>
    </section>
  );
}

function RerunDialog({ run, onClose }: { run: RunDetailView; onClose: () => void }) {
  const trpc = useTRPC();
  const toast = useToast();
  const router = useRouter();
  const [version, setVersion] = useState<"original" | "published">("original");
  const rerun = useMutation(trpc.runs.rerun.mutationOptions({
    onSuccess: (result) => {
      toast(`Rerun sent as event ${result.eventId} (v${result.flowVersion})`, "success");
      onClose();
      router.push(`/runs?subject=${encodeURIComponent(run.orderingKey)}&flow=${run.flowId}${run.test ? "&kind=all" : ""}`);
    },
    onError: (error) => toast(errorMessage(error), "error"),
  }));
  const publishedDiffers = run.publishedVersion !== null && run.publishedVersion !== run.flowVersion;
  return (
    <Dialog
      title="Rerun from the start?"
      onClose={onClose}
      actions={
        <>
          <button className="btn" onClick={onClose}>Cancel</button>
          <button className="btn btn-primary" onClick={() => rerun.mutate({ id: run.id, version })} disabled={rerun.isPending}>{rerun.isPending ? "Sending…" : "Rerun"}</button>
        </>
      }
    >
      <fieldset className="rerun-choice">
        <legend className="small">Run it with</legend>
        <label className="checkbox"><input type="radio" name="version" checked={version === "original"} onChange={() => setVersion("original")} /> The version it ran on (v{run.flowVersion})</label>
        <label className="checkbox">
          <input type="radio" name="version" checked={version === "published"} disabled={run.publishedVersion === null} onChange={() => setVersion("published")} />
          The current published version {run.publishedVersion === null ? "(none published)" : `(v${run.publishedVersion}${publishedDiffers ? "" : ", the same"})`}
        </label>
      </fieldset>
      <p className="alert alert-warning small" style={{ marginTop: 12 }}>
        The event is sent again with a new id, so every step runs again with <strong>new idempotency keys</strong>: side effects
        (HTTP calls, channel updates) happen again and receivers will not drop them as repeats.
      </p>
    </Dialog>
  );
}
