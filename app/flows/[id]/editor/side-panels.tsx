"use client";
import type { VersionChanges } from "@/server/flows/version-changes";
import { AddressWarnings } from "./address-warnings";
import { Check, X } from "lucide-react";
import { History } from "lucide-react";
import { useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { ConfirmDialog } from "@/app/components/dialog";
import { EmptyState, ErrorState, LoadingRows } from "@/app/components/states";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import type { FlowProblem } from "@/server/flows/validate-flow";
import { useEditorCommands } from "./editor-commands";
import { selectIsDirty, useEditorStore } from "./editor-store";
import { Inspector } from "./inspector";
import dynamic from "next/dynamic";

// Loaded when first opened: the editor route's first load stays as small as before the panel.
const TestEventPanel = dynamic(() => import("./test-event-panel").then((m) => m.TestEventPanel), {
  ssr: false,
  loading: () => <LoadingRows rows={4} />,
});

/** Docked under the inspector and always on screen: what keeps this flow from being published. */
function ProblemsPanel() {
  const problems = useEditorStore((s) => s.problems);
  const edges = useEditorStore((s) => s.edges);
  const open = useEditorStore((s) => s.problemsOpen);
  const setOpen = useEditorStore((s) => s.setProblemsOpen);
  const { focusNode } = useEditorCommands();
  const listId = useId();
  const nodeOf = (p: FlowProblem) => p.nodeId ?? (p.edgeId ? edges.find((e) => e.id === p.edgeId)?.source : undefined);
  const count = problems.length;
  return (
    <section className={`ed-problems${count === 0 ? " is-clean" : ""}`} data-testid="problems-panel" aria-label="Problems">
      {count === 0 ? (
        <div className="ed-problems-head">
          <span className="ed-ok" aria-hidden>
            <Check size={16} />
          </span>
          <span>
            <strong>No problems</strong>
            <span className="muted small"> · ready to publish</span>
          </span>
        </div>
      ) : (
        <button type="button" className="ed-problems-head" aria-expanded={open} aria-controls={listId} onClick={() => setOpen(!open)}>
          <span className="ed-problems-count" aria-hidden>
            {count}
          </span>
          <span className="ed-problems-title">
            <strong>
              {count} problem{count === 1 ? "" : "s"}
            </strong>
            <span className="muted small"> · fix them to publish</span>
          </span>
          <span className="ed-chevron" aria-hidden>
            {open ? "▾" : "▸"}
          </span>
        </button>
      )}
      {count > 0 && open && (
        <ul className="ed-problem-list" id={listId}>
          {problems.map((problem, index) => {
            const target = nodeOf(problem);
            const content = (
              <>
                <span className={`ed-problem-dot${problem.needsInput ? " is-input" : ""}`} aria-hidden />
                <span className="ed-problem-text">
                  {problem.message}
                  {problem.needsInput && <span className="badge badge-warning ed-problem-tag">needs input</span>}
                </span>
              </>
            );
            return (
              <li key={`${problem.code}-${problem.nodeId ?? problem.edgeId ?? ""}-${problem.field ?? ""}-${index}`}>
                {target ? (
                  <button type="button" className="ed-problem" onClick={() => focusNode(target)} title={`Show step ${target}`}>
                    {content}
                  </button>
                ) : (
                  <div className="ed-problem">{content}</div>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <AddressWarnings />
    </section>
  );
}

function formatDate(date: Date) {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(date);
}

/** "Added translate · Changed webshop · 1 connection added": what this version changed from the one before. */
function VersionChangeList({ changes, first }: { changes: VersionChanges; first: boolean }) {
  if (first) return <div className="small ed-version-changes">First version</div>;
  const parts: string[] = [];
  if (changes.added.length) parts.push(`Added ${changes.added.join(", ")}`);
  if (changes.removed.length) parts.push(`Removed ${changes.removed.join(", ")}`);
  if (changes.changed.length) parts.push(`Changed ${changes.changed.join(", ")}`);
  const connections = changes.connectionsAdded + changes.connectionsRemoved;
  if (connections && !changes.added.length && !changes.removed.length) {
    parts.push(`${connections} connection${connections === 1 ? "" : "s"} ${changes.connectionsAdded && changes.connectionsRemoved ? "changed" : changes.connectionsAdded ? "added" : "removed"}`);
  }
  if (changes.settingsChanged) parts.push("Flow settings changed");
  return (
    <ul className="small ed-version-changes" aria-label="Changes from the version before">
      {parts.length === 0 ? <li>Only steps moved</li> : parts.map((p) => <li key={p}>{p}</li>)}
    </ul>
  );
}

function HistoryPanel() {
  const trpc = useTRPC();
  const flowId = useEditorStore((s) => s.flowId);
  const publishedVersion = useEditorStore((s) => s.publishedVersion);
  const dirty = useEditorStore(selectIsDirty);
  const { restoreVersion } = useEditorCommands();
  const setSidePanel = useEditorStore((s) => s.setSidePanel);
  const versions = useQuery(trpc.flows.versions.queryOptions({ id: flowId }));
  const [confirming, setConfirming] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);

  return (
    <div className="ed-history" data-testid="history-panel">
      <div className="ed-history-head">
        <h2>History</h2>
        <button type="button" className="btn btn-ghost btn-sm" onClick={() => setSidePanel("inspector")} aria-label="Close history">
          <X size={16} aria-hidden />
        </button>
      </div>
      <p className="muted small ed-history-intro">Every publish keeps an immutable version. Restoring one copies it into the draft.</p>
      {versions.isPending ? (
        <LoadingRows rows={3} label="Loading versions" />
      ) : versions.isError ? (
        <ErrorState message={errorMessage(versions.error)} onRetry={() => void versions.refetch()} />
      ) : versions.data.length === 0 ? (
        <EmptyState icon={History} title="No versions yet">
          Publish the flow to create version 1. Each publish keeps an immutable copy you can restore.
        </EmptyState>
      ) : (
        <ol className="ed-version-list" aria-label="Published versions">
          {versions.data.map((v) => (
            <li key={v.version} className="ed-version">
              <div className="ed-version-main">
                <div className="ed-version-title">
                  Version {v.version}
                  {v.version === publishedVersion && <span className="badge badge-success">Live</span>}
                </div>
                <div className="muted small">
                  {formatDate(v.createdAt)} · {v.nodeCount} step{v.nodeCount === 1 ? "" : "s"}
                  {v.publishedBy && <> · by {v.publishedBy}</>}
                </div>
                <VersionChangeList changes={v.changes} first={v.version === versions.data[versions.data.length - 1]?.version} />
              </div>
              <button type="button" className="btn btn-sm" onClick={() => setConfirming(v.version)} aria-label={`Restore version ${v.version}`}>
                Restore
              </button>
            </li>
          ))}
        </ol>
      )}
      {confirming !== null && (
        <ConfirmDialog
          title={`Restore version ${confirming}?`}
          message={
            <>
              The draft&apos;s steps, connections and settings are replaced by version {confirming}; the flow keeps its current name. The
              published version does not change until you publish again.
              {dirty && <strong> Your unsaved changes will be lost.</strong>}
            </>
          }
          confirmLabel="Restore"
          busy={busy}
          onCancel={() => setConfirming(null)}
          onConfirm={async () => {
            setBusy(true);
            await restoreVersion(confirming);
            setBusy(false);
            setConfirming(null);
          }}
        />
      )}
    </div>
  );
}

export function SidePanel() {
  const view = useEditorStore((s) => s.sidePanel);
  return (
    <aside className="ed-side" aria-label="Step and flow details">
      <div className="ed-side-body">{view === "history" ? <HistoryPanel /> : view === "test" ? <TestEventPanel /> : <Inspector />}</div>
      <ProblemsPanel />
    </aside>
  );
}
