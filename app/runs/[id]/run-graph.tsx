"use client";
import { NodeIcon } from "@/app/components/node-icon";
import { Background, ReactFlow, type Edge, type Node } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo } from "react";
import { getNodeDefinition } from "@/server/nodes/registry";

// The flow version the run used, read-only, each node painted by its outcome in this run.

export type NodeOutcome = "succeeded" | "failed" | "skipped" | "waiting" | "running" | "not-reached";

const outcomeLabel: Record<NodeOutcome, string> = {
  succeeded: "succeeded",
  failed: "failed",
  skipped: "skipped",
  waiting: "waiting",
  running: "running",
  "not-reached": "not reached",
};

export function RunGraph({
  document,
  outcomes,
  selected,
  onSelect,
}: {
  document: { nodes: { id: string; kind: string; position: { x: number; y: number } }[]; edges: { id: string; source: string; target: string; sourceHandle?: string | null }[] };
  outcomes: Map<string, NodeOutcome>;
  selected: string | null;
  onSelect: (nodeId: string) => void;
}) {
  const nodes: Node[] = useMemo(
    () =>
      document.nodes.map((n) => {
        const outcome = outcomes.get(n.id) ?? "not-reached";
        const definition = getNodeDefinition(n.kind);
        return {
          id: n.id,
          position: n.position,
          data: {
            label: (
              <span className="run-graph-label">
                <NodeIcon name={definition?.icon} size={14} /> {definition?.label ?? n.kind}
                <span className="run-graph-outcome">{n.id} · {outcomeLabel[outcome]}</span>
              </span>
            ),
          },
          className: `run-graph-node outcome-${outcome}${selected === n.id ? " is-selected" : ""}`,
          ariaLabel: `${definition?.label ?? n.kind} (${n.id}): ${outcomeLabel[outcome]}`,
          draggable: false,
          connectable: false,
          sourcePosition: "right",
          targetPosition: "left",
        } as Node;
      }),
    [document.nodes, outcomes, selected],
  );
  const edges: Edge[] = useMemo(
    () => document.edges.map((e) => ({ id: e.id, source: e.source, target: e.target, animated: false, className: outcomes.get(e.target) && outcomes.get(e.target) !== "not-reached" ? "edge-taken" : "" })),
    [document.edges, outcomes],
  );
  return (
    <div className="run-graph" data-testid="run-graph">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        fitView
        fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
        nodesDraggable={false}
        nodesConnectable={false}
        edgesFocusable={false}
        elementsSelectable
        onNodeClick={(_, node) => onSelect(node.id)}
        proOptions={{ hideAttribution: true }}
        minZoom={0.3}
      >
        <Background gap={18} size={1} />
      </ReactFlow>
    </div>
  );
}
