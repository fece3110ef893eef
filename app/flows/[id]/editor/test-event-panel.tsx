"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import dynamic from "next/dynamic";
import Link from "next/link";
import { useEffect, useId, useMemo, useState } from "react";
import { fieldErrorsOf } from "@/app/components/field-errors";
import { JsonViewer } from "@/app/components/json-viewer";
import { RunStatusBadge } from "@/app/components/run-status";
import { ErrorState, LoadingRows } from "@/app/components/states";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { getKnownEventType } from "@/server/events/event-types";
import { getNodeDefinition } from "@/server/nodes/registry";
import { documentFromGraph } from "./flow-graph";
import { selectSingleSelectedNodeId, useEditorStore, useEditorStoreApi, type TestOutcome } from "./editor-store";

// The test-event panel (README "Test events"): pick a generated sample or a recent real event,
// edit it, and send it through the runtime against the current draft, saved or not. The run's
// steps paint the canvas as they happen (the run detail's polling); clicking a step shows its
// input and output. Dry run (default) records outside calls instead of sending them.

// CodeMirror loads only when the panel opens: the editor route keeps its bundle small.
const JsonEditor = dynamic(() => import("@/app/dead-letters/payload-editor"), {
  ssr: false,
  loading: () => <div className="skeleton" style={{ height: 160 }} aria-label="Loading the editor" />,
});

/** The event type the draft's trigger listens to (as the runtime reads it), or null. */
function useTriggerType(): string | null {
  const kind = useEditorStore((s) => s.nodes.find((n) => n.type === "trigger")?.data.kind ?? null);
  const configured = useEditorStore((s) => {
    const value = (s.nodes.find((n) => n.type === "trigger")?.data.config as { eventType?: unknown } | undefined)?.eventType;
    return typeof value === "string" && value ? value : null;
  });
  if (!kind) return null;
  const definition = getNodeDefinition(kind);
  return definition?.eventType === "*" ? configured : (definition?.eventType ?? null);
}

interface EditedEvent {
  subject: string;
  data: unknown;
}

/** Problems with the edited text, before sending: JSON syntax, the envelope, the built-in type's schema. */
function issuesOf(text: string, type: string): { event: EditedEvent | null; issues: { path: string; message: string }[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { event: null, issues: [{ path: "", message: `not valid JSON: ${(error as Error).message}` }] };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { event: null, issues: [{ path: "", message: 'the event is an object: { "subject": …, "data": … }' }] };
  const { subject, data } = value as { subject?: unknown; data?: unknown };
  const issues: { path: string; message: string }[] = [];
  if (typeof subject !== "string" || subject.trim() === "") issues.push({ path: "subject", message: "required: subject is the ordering key (e.g. the SKU)" });
  const known = getKnownEventType(type);
  if (known) {
    const parsed = known.data.safeParse(data);
    if (!parsed.success) for (const issue of parsed.error.issues) issues.push({ path: ["data", ...issue.path.map(String)].join("."), message: issue.input === undefined && issue.code === "invalid_type" ? "required" : issue.message });
  }
  return { event: { subject: String(subject ?? ""), data }, issues };
}

const toText = (event: EditedEvent) => JSON.stringify({ subject: event.subject, data: event.data }, null, 2);

function durationOf(step: { startedAt: Date | string; finishedAt: Date | string; status: string }): number | null {
  if (step.status === "running") return null;
  return Math.max(0, new Date(step.finishedAt).getTime() - new Date(step.startedAt).getTime());
}

export function TestEventPanel() {
  const trpc = useTRPC();
  const store = useEditorStoreApi();
  const flowId = useEditorStore((s) => s.flowId);
  const setSidePanel = useEditorStore((s) => s.setSidePanel);
  const selectedNodeId = useEditorStore(selectSingleSelectedNodeId);
  const type = useTriggerType();
  const [text, setText] = useState<string | null>(null);
  const [mode, setMode] = useState<"dry" | "live">("dry");
  const [runId, setRunId] = useState<string | null>(null);
  const [serverIssues, setServerIssues] = useState<{ path: string; message: string }[]>([]);
  const [pickedRecent, setPickedRecent] = useState("");
  const headingId = useId();
  const modeName = useId();

  const samples = useQuery({ ...trpc.flows.testSamples.queryOptions({ type: type ?? "none" }), enabled: type !== null, staleTime: Infinity, refetchOnWindowFocus: false });
  // The first sample fills the editor; "New sample" replaces it.
  useEffect(() => {
    if (text === null && samples.data) setText(toText(samples.data.sample));
  }, [samples.data, text]);

  const send = useMutation(trpc.flows.testEvent.mutationOptions());
  const run = useQuery({
    ...trpc.runs.detail.queryOptions({ id: runId ?? "" }),
    enabled: runId !== null,
    refetchInterval: (q) => (q.state.data && q.state.data.finishedAt ? false : 400),
  });

  // Paint the canvas with the run's steps as they come in.
  useEffect(() => {
    const steps = run.data?.steps;
    if (!steps) return;
    const outcomes: Record<string, TestOutcome> = {};
    for (const step of steps) outcomes[step.nodeId] = { status: step.status, durationMs: durationOf(step) };
    store.getState().setTestOutcomes(outcomes);
  }, [run.data, store]);
  // Leaving the panel clears the paint: the canvas is for editing again.
  useEffect(() => () => store.getState().setTestOutcomes({}), [store]);

  const checked = useMemo(() => (text === null || type === null ? null : issuesOf(text, type)), [text, type]);
  const issues = checked ? [...checked.issues, ...serverIssues] : serverIssues;

  const submit = async () => {
    if (!checked?.event || checked.issues.length > 0 || type === null) return;
    setServerIssues([]);
    const s = store.getState();
    const document = documentFromGraph(s.name, s.nodes, s.edges, s.settings);
    try {
      store.getState().setTestOutcomes({});
      const started = await send.mutateAsync({ id: flowId, document, event: checked.event, mode });
      setRunId(started.runId);
    } catch (error) {
      const fields = error instanceof TRPCClientError ? fieldErrorsOf(error) : undefined;
      if (fields) setServerIssues(Object.entries(fields).map(([path, message]) => ({ path, message: message ?? "invalid" })));
    }
  };

  const selectedStep = run.data?.steps.find((s) => s.nodeId === selectedNodeId) ?? null;

  return (
    <section className="ed-test" aria-labelledby={headingId} data-testid="test-event-panel">
      <div className="ed-test-row" style={{ justifyContent: "space-between" }}>
        <h2 id={headingId}>Test event</h2>
        <button type="button" className="btn btn-sm btn-ghost" onClick={() => setSidePanel("inspector")} aria-label="Close the test panel">
          ✕
        </button>
      </div>
      {type === null ? (
        <p className="muted small">Add a trigger and choose its event type to send a test event.</p>
      ) : (
        <>
          <p className="muted small" style={{ margin: 0 }}>
            Runs the current draft (saved or not) for one <code>{type}</code> event{type === "schedule.tick" ? ", as if the schedule fired now" : ""}. It does not need the flow to be published or enabled.
          </p>
          <div className="ed-test-row">
            <button
              type="button"
              className="btn btn-sm"
              onClick={() => void samples.refetch().then((r) => r.data && setText(toText(r.data.sample)))}
              disabled={samples.isFetching}
            >
              {type === "schedule.tick" ? "Fire now" : "New sample"}
            </button>
            <label className="small">
              <span className="ed-visually-hidden">Recent events</span>
              <select
                className="input"
                aria-label="Recent events"
                value={pickedRecent}
                disabled={!samples.data || samples.data.recent.length === 0}
                onChange={(e) => {
                  setPickedRecent(e.target.value);
                  const picked = samples.data?.recent.find((r) => r.eventId === e.target.value);
                  if (picked) setText(toText({ subject: picked.subject, data: picked.data }));
                }}
              >
                <option value="">{samples.data?.recent.length ? `Recent events (${samples.data.recent.length})` : "No recent events yet"}</option>
                {samples.data?.recent.map((r) => (
                  <option key={r.eventId} value={r.eventId}>
                    {r.subject} · {new Date(r.receivedAt).toLocaleString()}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {samples.isError ? (
            <ErrorState message={`Could not make a sample: ${errorMessage(samples.error)}`} onRetry={() => void samples.refetch()} />
          ) : text === null ? (
            <LoadingRows rows={4} />
          ) : (
            <JsonEditor value={text} onChange={(v) => { setText(v); setServerIssues([]); }} label="Test event (subject and data)" invalid={issues.length > 0} />
          )}
          {issues.length > 0 && (
            <ul className="ed-test-issues" data-testid="test-event-issues" aria-live="polite">
              {issues.map((issue, i) => (
                <li key={`${issue.path}-${i}`}>{issue.path ? <code>{issue.path}</code> : null}{issue.path ? ": " : ""}{issue.message}</li>
              ))}
            </ul>
          )}
          <div className="ed-test-row">
            <fieldset className="ed-test-modes" style={{ margin: 0, padding: 0 }}>
              <legend className="ed-visually-hidden">Mode</legend>
              <label title="Steps that call outside systems record the request instead of sending it">
                <input type="radio" name={modeName} className="ed-visually-hidden" checked={mode === "dry"} onChange={() => setMode("dry")} /> Dry run
              </label>
              <label title="Every step runs for real, outside calls included">
                <input type="radio" name={modeName} className="ed-visually-hidden" checked={mode === "live"} onChange={() => setMode("live")} /> Live
              </label>
            </fieldset>
            <button type="button" className="btn btn-sm btn-primary" onClick={() => void submit()} disabled={send.isPending || !checked?.event || checked.issues.length > 0}>
              {send.isPending ? "Sending…" : "Send"}
            </button>
          </div>
          {mode === "live" && <p className="small" style={{ margin: 0, color: "var(--warning)" }}>Live: outside systems receive real calls.</p>}
          {send.isError && !serverIssues.length && <p className="small" role="alert" style={{ color: "var(--danger)", margin: 0 }}>Could not send: {errorMessage(send.error)}</p>}
        </>
      )}
      {runId && (
        <div className="ed-test-result" data-testid="test-run-result">
          {run.isError ? (
            <ErrorState message={`Could not load the test run: ${errorMessage(run.error)}`} onRetry={() => void run.refetch()} />
          ) : !run.data ? (
            <LoadingRows rows={2} />
          ) : (
            <>
              <div className="ed-test-row" style={{ justifyContent: "space-between" }}>
                <span className="ed-test-row">
                  <RunStatusBadge status={run.data.status} />
                  <span className="badge">{run.data.testMode === "live" ? "Live test" : "Dry run"}</span>
                </span>
                <Link href={`/runs/${runId}`} className="small" target="_blank">Open run detail</Link>
              </div>
              {run.data.error && <p className="small" style={{ color: "var(--danger)", margin: "6px 0" }}>{run.data.error}</p>}
              {run.data.status === "queued" && Date.now() - new Date(run.data.startedAt).getTime() > 10_000 && (
                <p className="small muted" style={{ margin: "6px 0" }}>Waiting for a worker to pick it up. Test runs need a running worker (serverless mode does not run them yet).</p>
              )}
              <ul className="ed-test-steps" aria-label="Steps of the test run">
                {run.data.steps.map((step) => (
                  <li key={step.nodeId}>
                    <button type="button" aria-pressed={selectedNodeId === step.nodeId} onClick={() => store.getState().selectOnly(step.nodeId)}>
                      <span>{getNodeDefinition(step.kind)?.label ?? step.kind} <span className="muted">{step.nodeId}</span></span>
                      <RunStatusBadge status={step.status} />
                    </button>
                  </li>
                ))}
              </ul>
              {selectedStep ? (
                <div data-testid="test-step-detail">
                  <h3 className="small" style={{ margin: "10px 0 4px" }}>Step {selectedStep.nodeId}</h3>
                  {selectedStep.error && <p className="small" style={{ color: "var(--danger)" }}>{selectedStep.error}</p>}
                  <JsonViewer value={selectedStep.output} label={(selectedStep.output as { dryRun?: boolean } | undefined)?.dryRun ? "Would-be request (not sent)" : "Step output"} testId="test-step-output" />
                  <JsonViewer value={selectedStep.input} label="Step input" expandDepth={1} />
                </div>
              ) : (
                <p className="muted small">Select a step on the canvas to see its input and output.</p>
              )}
            </>
          )}
        </div>
      )}
    </section>
  );
}
