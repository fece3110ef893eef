"use client";
import { LetterOwner } from "./letter-owner";
import dynamic from "next/dynamic";
import Link from "next/link";
import { useEffect, useId, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Dialog } from "@/app/components/dialog";
import { ErrorState, LoadingRows } from "@/app/components/states";
import { useToast } from "@/app/components/toast";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { age, errorClassLabels, type LetterDetail } from "./types";
import { DiscardDialog } from "./discard-dialog";

const PayloadEditor = dynamic(() => import("./payload-editor"), {
  ssr: false,
  loading: () => <div className="skeleton" style={{ height: 160 }} aria-label="Loading the editor" />,
});

/** Parses the editor's text; the message is what a person needs to fix it. */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `Not valid JSON: ${(error as Error).message}` };
  }
}

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div style={{ display: "flex", flexDirection: "column", gap: 2, minWidth: 0 }}>
      <dt className="muted small">{label}</dt>
      <dd style={{ margin: 0, overflowWrap: "anywhere" }}>{children}</dd>
    </div>
  );
}

function Facts({ detail }: { detail: LetterDetail }) {
  const l = detail.letter;
  return (
    <dl style={{ display: "grid", gridTemplateColumns: "repeat(auto-fill, minmax(180px, 1fr))", gap: 12, margin: 0 }}>
      <Fact label={l.source ? "Source" : "Flow"}><LetterOwner letter={l} /></Fact>
      <Fact label="Node">{l.nodeId ? <code>{l.nodeId}</code> : "before any node"}</Fact>
      <Fact label="Ordering key"><Link href={`/keys/${encodeURIComponent(l.orderingKey)}`}>{l.orderingKey}</Link></Fact>
      <Fact label="Event">{l.eventType} · <code>{l.eventId}</code></Fact>
      <Fact label="Error class">{errorClassLabels[l.errorClass]}</Fact>
      <Fact label="Dead-lettered">{new Date(l.createdAt).toLocaleString()} ({age(l.createdAt)} ago)</Fact>
      <Fact label="Trace id"><code data-testid="trace-id">{l.traceId}</code></Fact>
      <Fact label="Stream / sequence"><code>{detail.stream}</code> · #{l.sequence} · partition {l.partition}</Fact>
      <Fact label="Run">{l.runId ? <Link href={`/runs/${l.runId}`}>Open the run</Link> : "no run recorded"}</Fact>
    </dl>
  );
}

function Attempts({ detail }: { detail: LetterDetail }) {
  return (
    <table className="table" aria-label="Attempts">
      <thead>
        <tr><th>#</th><th>Time</th><th>Node</th><th>Status</th><th>Duration</th><th>Error</th></tr>
      </thead>
      <tbody>
        {detail.attempts.map((a, i) => (
          <tr key={i}>
            <td>{i + 1}{a.redrive ? <span className="badge" style={{ marginLeft: 6 }}>redrive</span> : null}</td>
            <td className="small">{a.at ? new Date(a.at).toLocaleString() : "—"}</td>
            <td><code>{a.nodeId ?? "—"}</code></td>
            <td>{a.statusCode ?? "—"}</td>
            <td>{a.durationMs === null ? "—" : `${a.durationMs} ms`}</td>
            <td className="small" style={{ overflowWrap: "anywhere" }}>{a.error}{a.transient ? " (transient)" : ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One dead letter: what happened, the event to edit, and redrive / discard. */
export function DeadLetterDetail({ id, onClose }: { id: string; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const detail = useQuery(trpc.deadLetters.detail.queryOptions({ id }));
  const [text, setText] = useState<string | null>(null);
  const [version, setVersion] = useState<"failed" | "current">("failed");
  const [discarding, setDiscarding] = useState(false);
  const editorLabelId = useId();

  const original = detail.data ? JSON.stringify(detail.data.event, null, 2) : "";
  const current = text ?? original;
  const parsed = parseJson(current);
  const edited = text !== null && text !== original;
  // Checked on the server (the schema of a custom type lives there) once typing pauses. Compared
  // as text: a parsed object is a new value on every render.
  const settledText = useDebounced(current, 300);
  const settled = parseJson(settledText);
  const check = useQuery({
    ...trpc.deadLetters.checkEdit.queryOptions({ id, event: settled.ok ? settled.value : null }),
    enabled: edited && settled.ok && settledText !== original,
  });
  const checking = edited && parsed.ok && (settledText !== current || check.isFetching || (!check.data && !check.isError));
  const issues = !parsed.ok
    ? [{ path: "", message: parsed.message }]
    : edited && !checking
      ? check.isError ? [{ path: "", message: `Could not check the event: ${errorMessage(check.error)}` }] : (check.data ?? [])
      : [];

  const redrive = useMutation(
    trpc.deadLetters.redriveOne.mutationOptions({
      onSuccess: () => {
        toast("Redrive requested: the worker runs it, then the events held behind it, in order.", "success");
        void queryClient.invalidateQueries({ queryKey: trpc.deadLetters.pathKey() });
        onClose();
      },
    }),
  );

  const l = detail.data?.letter;
  const open = l?.status === "open";
  const canRedrive = open && parsed.ok && issues.length === 0 && !checking && !redrive.isPending;
  const held = detail.data?.held;

  return (
    <Dialog
      title={l ? `Dead letter: ${l.orderingKey} in ${l.flowName ?? l.flowId}` : "Dead letter"}
      onClose={onClose}
      width="min(980px, 100%)"
      actions={
        <>
          <button className="btn" onClick={onClose}>Close</button>
          {l && (l.status === "open" || l.status === "redrive-requested") && (
            <button className="btn" onClick={() => setDiscarding(true)}>Discard…</button>
          )}
          <button
            className="btn btn-primary"
            disabled={!canRedrive}
            onClick={() => redrive.mutate({ id, version, ...(edited && parsed.ok ? { event: parsed.value } : {}) })}
          >
            {redrive.isPending ? "Redriving…" : edited ? "Redrive edited event" : "Redrive"}
          </button>
        </>
      }
    >
      {detail.isPending ? (
        <LoadingRows rows={5} label="Loading the dead letter" />
      ) : detail.isError ? (
        <ErrorState message={`Could not load this dead letter: ${errorMessage(detail.error)}`} onRetry={() => void detail.refetch()} />
      ) : (
        <div style={{ display: "flex", flexDirection: "column", gap: 16 }}>
          {l && !open && (
            <div className="alert alert-warning">
              {l.status === "redrive-requested" ? "A redrive was requested; the worker is on it." : `This dead letter was ${l.status}.`}
            </div>
          )}
          <div className="alert alert-danger" data-testid="last-error"><strong>Last error:</strong> {l?.error}</div>
          {held && (
            <div className="alert alert-warning" data-testid="held-banner">
              {held.count} {held.count === 1 ? "event waits" : "events wait"} behind this dead letter (oldest {age(held.oldestAt)}).
              A redrive or a discard releases them, in order.
            </div>
          )}
          <Facts detail={detail.data} />
          <section style={{ display: "flex", flexDirection: "column", gap: 6 }}>
            <h3 id={editorLabelId}>Event</h3>
            <p className="muted small" style={{ margin: 0 }}>
              Edit the payload before redriving. The id, type and subject identify the event and must stay; the data is checked against the {l?.eventType} schema.
            </p>
            <PayloadEditor value={current} onChange={setText} label="Event (JSON)" invalid={issues.length > 0} />
            {issues.length > 0 && (
              <ul className="field" style={{ margin: 0, paddingLeft: 18 }} aria-live="polite">
                {issues.map((issue, i) => (
                  <li key={i} className="error" data-testid="field-error">{issue.path ? <code>{issue.path}</code> : null}{issue.path ? ": " : ""}{issue.message}</li>
                ))}
              </ul>
            )}
            {edited && issues.length === 0 && !checking && <p className="small" style={{ margin: 0, color: "var(--success)" }} data-testid="edit-valid">The edited event is valid.</p>}
            {text !== null && edited && <div><button className="btn btn-sm btn-ghost" onClick={() => setText(null)}>Undo my edits</button></div>}
          </section>
          <fieldset style={{ border: "1px solid var(--border)", borderRadius: 8, padding: "8px 12px", margin: 0 }}>
            <legend className="small" style={{ fontWeight: 600 }}>Redrive on</legend>
            <label className="checkbox">
              <input type="radio" name="version" checked={version === "failed"} onChange={() => setVersion("failed")} />
              the version it failed on (v{l?.flowVersion})
            </label>
            <label className="checkbox" style={{ marginLeft: 16 }}>
              <input
                type="radio" name="version" checked={version === "current"} onChange={() => setVersion("current")}
                disabled={!detail.data?.publishedVersion}
              />
              the current published version{detail.data?.publishedVersion ? ` (v${detail.data.publishedVersion})` : " (none)"}
            </label>
          </fieldset>
          {redrive.isError && <ErrorState message={errorMessage(redrive.error)} />}
          <section style={{ display: "flex", flexDirection: "column", gap: 6 }}>
            <h3>Headers</h3>
            <pre className="mono" style={{ margin: 0, background: "var(--surface-2)", padding: 10, borderRadius: 8, overflow: "auto", maxHeight: 160 }}>
              {JSON.stringify(detail.data.headers, null, 2)}
            </pre>
          </section>
          <section style={{ display: "flex", flexDirection: "column", gap: 6 }}>
            <h3>Attempts</h3>
            <Attempts detail={detail.data} />
          </section>
        </div>
      )}
      {discarding && l && (
        <DiscardDialog
          letters={[{ id, flowId: l.flowId, orderingKey: l.orderingKey, held: held?.count ?? 0 }]}
          onCancel={() => setDiscarding(false)}
          onDone={() => { setDiscarding(false); onClose(); }}
        />
      )}
    </Dialog>
  );
}
