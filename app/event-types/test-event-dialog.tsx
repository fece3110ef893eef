"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import dynamic from "next/dynamic";
import Link from "next/link";
import { useEffect, useId, useState } from "react";
import { Dialog } from "@/app/components/dialog";
import { fieldErrorsOf } from "@/app/components/field-errors";
import { ErrorState, LoadingRows } from "@/app/components/states";
import { errorMessage, useTRPC } from "@/app/trpc-client";

// The Event types page's Test event button for a custom type: a generated sample (or a recent
// event), edited as JSON, sent as a test run through every enabled flow that listens to the type.

const JsonEditor = dynamic(() => import("@/app/dead-letters/payload-editor"), {
  ssr: false,
  loading: () => <div className="skeleton" style={{ height: 160 }} aria-label="Loading the editor" />,
});

const toText = (event: { subject: string; data: unknown }) => JSON.stringify({ subject: event.subject, data: event.data }, null, 2);

export function TestEventDialog({ type, onClose }: { type: string; onClose: () => void }) {
  const trpc = useTRPC();
  const samples = useQuery({ ...trpc.flows.testSamples.queryOptions({ type }), staleTime: Infinity, refetchOnWindowFocus: false });
  const send = useMutation(trpc.eventTypes.testEvent.mutationOptions());
  const [text, setText] = useState<string | null>(null);
  const [mode, setMode] = useState<"dry" | "live">("dry");
  const [issues, setIssues] = useState<{ path: string; message: string }[]>([]);
  const modeName = useId();
  useEffect(() => {
    if (text === null && samples.data) setText(toText(samples.data.sample));
  }, [samples.data, text]);

  const submit = async () => {
    let value: unknown;
    try {
      value = JSON.parse(text ?? "");
    } catch (error) {
      setIssues([{ path: "", message: `not valid JSON: ${(error as Error).message}` }]);
      return;
    }
    const { subject, data } = (value ?? {}) as { subject?: unknown; data?: unknown };
    setIssues([]);
    try {
      await send.mutateAsync({ type, mode, event: { subject: typeof subject === "string" ? subject : "", data } });
    } catch (error) {
      const fields = error instanceof TRPCClientError ? fieldErrorsOf(error) : undefined;
      if (fields) setIssues(Object.entries(fields).map(([path, message]) => ({ path, message: message ?? "invalid" })));
    }
  };

  const runs = send.data?.runs;
  return (
    <Dialog
      title={`Test event: ${type}`}
      onClose={onClose}
      width="640px"
      actions={
        <>
          <button type="button" className="btn" onClick={onClose}>Close</button>
          <button type="button" className="btn btn-primary" onClick={() => void submit()} disabled={send.isPending || text === null}>
            {send.isPending ? "Sending…" : "Send"}
          </button>
        </>
      }
    >
      <p className="muted small" style={{ marginTop: 0 }}>
        Sends the event, as a test run, through every enabled flow that listens to <code>{type}</code> (their published versions).
      </p>
      <div style={{ display: "flex", gap: 8, marginBottom: 8, flexWrap: "wrap" }}>
        <button type="button" className="btn btn-sm" disabled={samples.isFetching} onClick={() => void samples.refetch().then((r) => r.data && setText(toText(r.data.sample)))}>New sample</button>
        <select
          className="input"
          aria-label="Recent events"
          disabled={!samples.data?.recent.length}
          defaultValue=""
          onChange={(e) => {
            const picked = samples.data?.recent.find((r) => r.eventId === e.target.value);
            if (picked) setText(toText({ subject: picked.subject, data: picked.data }));
          }}
        >
          <option value="">{samples.data?.recent.length ? `Recent events (${samples.data.recent.length})` : "No recent events yet"}</option>
          {samples.data?.recent.map((r) => <option key={r.eventId} value={r.eventId}>{r.subject} · {new Date(r.receivedAt).toLocaleString()}</option>)}
        </select>
      </div>
      {samples.isError ? (
        <ErrorState message={`Could not make a sample: ${errorMessage(samples.error)}`} onRetry={() => void samples.refetch()} />
      ) : text === null ? (
        <LoadingRows rows={4} />
      ) : (
        <JsonEditor value={text} onChange={(v) => { setText(v); setIssues([]); }} label="Test event (subject and data)" invalid={issues.length > 0} />
      )}
      {issues.length > 0 && (
        <ul className="small" style={{ color: "var(--danger)", paddingLeft: 18 }} data-testid="test-event-issues">
          {issues.map((i, n) => <li key={n}>{i.path ? <code>{i.path}</code> : null}{i.path ? ": " : ""}{i.message}</li>)}
        </ul>
      )}
      <fieldset style={{ border: 0, padding: 0, margin: "10px 0 0", display: "flex", gap: 14 }}>
        <legend className="small" style={{ fontWeight: 600, marginBottom: 4 }}>Mode</legend>
        <label className="checkbox"><input type="radio" name={modeName} checked={mode === "dry"} onChange={() => setMode("dry")} /> Dry run (outside calls recorded, not sent)</label>
        <label className="checkbox"><input type="radio" name={modeName} checked={mode === "live"} onChange={() => setMode("live")} /> Live</label>
      </fieldset>
      {send.isError && issues.length === 0 && <p role="alert" className="small" style={{ color: "var(--danger)" }}>Could not send: {errorMessage(send.error)}</p>}
      {runs && (
        <div role="status" className="small" style={{ marginTop: 10 }} data-testid="test-event-runs">
          {runs.length === 0 ? (
            <>No enabled flow listens to <code>{type}</code>: publish and enable one with a Custom event trigger for this type.</>
          ) : (
            <>
              Started {runs.length} test run{runs.length === 1 ? "" : "s"}:
              <ul style={{ margin: "4px 0 0", paddingLeft: 18 }}>
                {runs.map((r) => <li key={r.runId}><Link href={`/runs/${r.runId}`}>{r.flowName}</Link></li>)}
              </ul>
            </>
          )}
        </div>
      )}
    </Dialog>
  );
}
