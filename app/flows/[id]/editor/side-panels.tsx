"use client";
import { AddressWarnings } from "./address-warnings";
import { Check } from "lucide-react";
import { useId } from "react";
import { LoadingRows } from "@/app/components/states";
import type { FlowProblem } from "@/server/flows/validate-flow";
import { useEditorCommands } from "./editor-commands";
import { useEditorStore } from "./editor-store";
import { Inspector } from "./inspector";
import dynamic from "next/dynamic";

// Loaded when first opened: the editor route's first load stays as small as before the panels.
const HistoryPanel = dynamic(() => import("./history-panel").then((m) => m.HistoryPanel), {
  ssr: false,
  loading: () => <LoadingRows rows={3} label="Loading versions" />,
});
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

export function SidePanel() {
  const view = useEditorStore((s) => s.sidePanel);
  return (
    <aside className="ed-side" aria-label="Step and flow details">
      <div className="ed-side-body">{view === "history" ? <HistoryPanel /> : view === "test" ? <TestEventPanel /> : <Inspector />}</div>
      <ProblemsPanel />
    </aside>
  );
}
