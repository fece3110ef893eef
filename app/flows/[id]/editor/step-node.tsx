"use client";
import { NodeIcon } from "@/app/components/node-icon";
import { TriangleAlert } from "lucide-react";
import { Handle, Position, useStore, useUpdateNodeInternals, type NodeProps, type NodeTypes, type ReactFlowState } from "@xyflow/react";
import { memo, useEffect, useMemo, useRef } from "react";
import { handlesOf } from "@/server/nodes/define-node";
import { getNodeDefinition } from "@/server/nodes/registry";
import { useEditorStore } from "./editor-store";
import type { ActionNode, TriggerNode, UnknownNode } from "./flow-graph";

// Node components re-render only when their own node changes (xyflow memoizes per node) or when
// their own problem count changes (a selector on one key). `nodeTypes` is built once, at module
// scope, as React Flow requires.

const testLabels = { running: "running…", succeeded: "succeeded", failed: "failed", skipped: "skipped", suspended: "waiting" } as const;

/** The latest test run's outcome of this step, with its duration; nothing when no test ran. */
function TestOutcomeBadge({ nodeId }: { nodeId: string }) {
  const outcome = useEditorStore((s) => s.testOutcomes[nodeId]);
  if (!outcome) return null;
  const duration = outcome.durationMs !== null && outcome.status !== "running" ? ` · ${outcome.durationMs < 1000 ? `${outcome.durationMs} ms` : `${(outcome.durationMs / 1000).toFixed(1)} s`}` : "";
  return (
    <div className={`ed-node-test test-${outcome.status}`} data-testid={`test-outcome-${nodeId}`} data-status={outcome.status} role="status">
      <span aria-hidden>{outcome.status === "succeeded" ? "✓" : outcome.status === "failed" ? "✕" : outcome.status === "running" ? "◌" : "–"}</span> Test {testLabels[outcome.status]}{duration}
    </div>
  );
}

function ProblemCount({ nodeId }: { nodeId: string }) {
  const count = useEditorStore((s) => s.problemCounts[nodeId] ?? 0);
  if (count === 0) return null;
  const label = `${count} problem${count === 1 ? "" : "s"}`;
  return (
    <span className="ed-node-problems" title={label} aria-label={label}>
      {count}
    </span>
  );
}

/** Addresses runs of this step will refuse (docs/decisions/0029): a warning, not a problem. */
function AddressWarningMark({ nodeId }: { nodeId: string }) {
  const warnings = useEditorStore((s) => s.addressWarnings[nodeId]);
  if (!warnings?.length) return null;
  const label = `Warning: ${warnings.join(" ")}`;
  return (
    <span className="ed-node-warning" data-testid={`node-warning-${nodeId}`} title={label} aria-label={label} role="img">
      <TriangleAlert size={14} aria-hidden />
    </span>
  );
}

/** Below this zoom, text is unreadable anyway: nodes drop it, which keeps panning a 500-node flow smooth. */
const COMPACT_BELOW_ZOOM = 0.45;
const selectCompact = (s: ReactFlowState) => s.transform[2] < COMPACT_BELOW_ZOOM;

function useHasProblems(nodeId: string) {
  return useEditorStore((s) => (s.problemCounts[nodeId] ?? 0) > 0);
}

const StepNodeView = memo(function StepNodeView({ id, data, selected, type }: NodeProps<TriggerNode | ActionNode>) {
  const definition = getNodeDefinition(data.kind);
  const handles = useMemo(() => (definition ? handlesOf(definition, data.config) : []), [definition, data.config]);
  const handleKey = handles.map((h) => h.id).join("|");
  const updateNodeInternals = useUpdateNodeInternals();
  const hasProblems = useHasProblems(id);
  const compact = useStore(selectCompact);
  // Branch handles come and go with the config (a switch gaining a case); xyflow must re-measure.
  // Not on mount: xyflow measures new nodes itself, and an early update would let the initial
  // fit-view run before every node has its size.
  const measuredKey = useRef(handleKey);
  useEffect(() => {
    if (measuredKey.current === handleKey) return;
    measuredKey.current = handleKey;
    updateNodeInternals(id);
  }, [handleKey, id, updateNodeInternals]);

  const branched = handles.length > 1;
  const isTrigger = type === "trigger";
  return (
    <div
      className={`ed-node${isTrigger ? " ed-node-trigger" : ""}${selected ? " is-selected" : ""}${hasProblems ? " has-problems" : ""}${compact ? " is-compact" : ""}`}
      data-testid={`node-${id}`}
      data-kind={data.kind}
      aria-label={`${definition?.label ?? data.kind} step ${id}`}
    >
      {!isTrigger && <Handle type="target" position={Position.Left} className="ed-handle" data-testid={`handle-${id}-target`} />}
      {compact ? (
        <div className="ed-node-head ed-node-compact-head">
          <div className="ed-node-title">{definition?.label ?? data.kind}</div>
        </div>
      ) : (
        <div className="ed-node-head">
          <span className="ed-node-icon" aria-hidden>
            <NodeIcon name={definition?.icon} />
          </span>
          <div className="ed-node-text">
            <div className="ed-node-title">{definition?.label ?? data.kind}</div>
            <div className="ed-node-id">{id}</div>
          </div>
          <AddressWarningMark nodeId={id} />
          <ProblemCount nodeId={id} />
        </div>
      )}
      {isTrigger && !compact && <div className="ed-node-tag">Trigger</div>}
      {!compact && <TestOutcomeBadge nodeId={id} />}
      {branched ? (
        <div className="ed-node-branches">
          {handles.map((h) => (
            <div key={h.id} className="ed-node-branch">
              <span>{compact ? "\u00a0" : h.label}</span>
              <Handle type="source" id={h.id} position={Position.Right} className="ed-handle" data-testid={`handle-${id}-source-${h.id}`} />
            </div>
          ))}
        </div>
      ) : (
        handles[0] && <Handle type="source" id={handles[0].id} position={Position.Right} className="ed-handle" data-testid={`handle-${id}-source-${handles[0].id}`} />
      )}
    </div>
  );
});

const UnknownNodeView = memo(function UnknownNodeView({ id, data, selected }: NodeProps<UnknownNode>) {
  return (
    <div className={`ed-node ed-node-unknown${selected ? " is-selected" : ""} has-problems`} data-testid={`node-${id}`} data-kind={data.kind}>
      <Handle type="target" position={Position.Left} className="ed-handle" />
      <div className="ed-node-head">
        <span className="ed-node-icon" aria-hidden>
          <NodeIcon name={undefined} unknown />
        </span>
        <div className="ed-node-text">
          <div className="ed-node-title">Unknown step</div>
          <div className="ed-node-id">{data.kind}</div>
        </div>
        <ProblemCount nodeId={id} />
      </div>
      <Handle type="source" position={Position.Right} className="ed-handle" />
    </div>
  );
});

export const nodeTypes = {
  trigger: StepNodeView,
  action: StepNodeView,
  unknown: UnknownNodeView,
} satisfies NodeTypes;
