"use client";
import { useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { ConfirmDialog } from "@/app/components/dialog";
import { EmptyState, ErrorState, LoadingRows } from "@/app/components/states";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import type { FlowProblem } from "@/server/flows/validate-flow";
import { useEditorCommands } from "./editor-commands";
import { selectIsDirty, useEditorStore, type SidePanel as SidePanelName } from "./editor-store";
import { Inspector } from "./inspector";

export function ProblemsPanel() {
  const problems = useEditorStore((s) => s.problems);
  const edges = useEditorStore((s) => s.edges);
  const { focusNode } = useEditorCommands();
  const nodeOf = (p: FlowProblem) => p.nodeId ?? (p.edgeId ? edges.find((e) => e.id === p.edgeId)?.source : undefined);
  return (
    <div className="ed-problems" data-testid="problems-panel">
      {problems.length === 0 ? (
        <div className="ed-problems-none">
          <span className="ed-ok" aria-hidden>
            ✓
          </span>
          <div>
            <strong>No problems</strong>
            <div className="muted small">This flow is ready to publish.</div>
          </div>
        </div>
      ) : (
        <>
          <p className="muted small ed-problems-intro">
            {problems.length} problem{problems.length === 1 ? "" : "s"}. The draft saves with them, but a flow is published only without any.
          </p>
          <ul className="ed-problem-list">
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
        </>
      )}
    </div>
  );
}

function formatDate(date: Date) {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(date);
}

export function HistoryPanel() {
  const trpc = useTRPC();
  const flowId = useEditorStore((s) => s.flowId);
  const publishedVersion = useEditorStore((s) => s.publishedVersion);
  const dirty = useEditorStore(selectIsDirty);
  const { restoreVersion } = useEditorCommands();
  const versions = useQuery(trpc.flows.versions.queryOptions({ id: flowId }));
  const [confirming, setConfirming] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);

  return (
    <div className="ed-history" data-testid="history-panel">
      {versions.isPending ? (
        <LoadingRows rows={3} label="Loading versions" />
      ) : versions.isError ? (
        <ErrorState message={errorMessage(versions.error)} onRetry={() => void versions.refetch()} />
      ) : versions.data.length === 0 ? (
        <EmptyState icon="🕓" title="No versions yet">
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
                </div>
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
              The draft is replaced by version {confirming}. The published version does not change until you publish again.
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

const TABS: { id: SidePanelName; label: string }[] = [
  { id: "inspector", label: "Inspector" },
  { id: "problems", label: "Problems" },
  { id: "history", label: "History" },
];

export function SidePanel() {
  const active = useEditorStore((s) => s.sidePanel);
  const setSidePanel = useEditorStore((s) => s.setSidePanel);
  const problemCount = useEditorStore((s) => s.problems.length);
  const baseId = useId();
  return (
    <aside className="ed-side" aria-label="Step and flow details">
      <div className="ed-tabs" role="tablist" aria-label="Panels">
        {TABS.map((tab) => (
          <button
            key={tab.id}
            type="button"
            role="tab"
            id={`${baseId}-tab-${tab.id}`}
            aria-selected={active === tab.id}
            aria-controls={`${baseId}-panel`}
            className={`ed-tab${active === tab.id ? " is-active" : ""}`}
            onClick={() => setSidePanel(tab.id)}
          >
            {tab.label}
            {tab.id === "problems" && problemCount > 0 && (
              <span className="ed-tab-count" aria-label={`${problemCount} problems`}>
                {problemCount}
              </span>
            )}
          </button>
        ))}
      </div>
      <div className="ed-side-body" role="tabpanel" id={`${baseId}-panel`} aria-labelledby={`${baseId}-tab-${active}`}>
        {active === "inspector" && <Inspector />}
        {active === "problems" && <ProblemsPanel />}
        {active === "history" && <HistoryPanel />}
      </div>
    </aside>
  );
}
