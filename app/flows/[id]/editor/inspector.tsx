"use client";
import dynamic from "next/dynamic";
import { LoadingRows } from "@/app/components/states";
import { useMemo } from "react";
import { useEditorCommands } from "./editor-commands";
import { selectSelectionCount, selectSingleSelectedNodeId, useEditorStore } from "./editor-store";

// Loaded when a step is first selected: the config forms, the expression checks and the pickers are
// not part of the editor route's first load (docs/decisions/0033-editor-route-javascript.md).
const NodeInspector = dynamic(() => import("./node-inspector").then((m) => m.NodeInspector), {
  ssr: false,
  loading: () => <LoadingRows rows={4} label="Loading the step's settings" />,
});

export function Inspector() {
  const selectedId = useEditorStore(selectSingleSelectedNodeId);
  // Data and type only: dragging the node must not re-render its form on every frame.
  const data = useEditorStore((s) => (selectedId ? s.nodes.find((n) => n.id === selectedId)?.data : undefined));
  const type = useEditorStore((s) => (selectedId ? s.nodes.find((n) => n.id === selectedId)?.type : undefined));
  const node = useMemo(() => (selectedId && data && type ? { id: selectedId, data, type } : undefined), [selectedId, data, type]);
  const selectionCount = useEditorStore(selectSelectionCount);
  const { deleteSelection } = useEditorCommands();
  return (
    <div className="ed-inspector" data-testid="config-panel">
      {node ? (
        <NodeInspector node={node} />
      ) : selectionCount > 1 ? (
        <div className="ed-inspector-multi">
          <h2>{selectionCount} items selected</h2>
          <p className="muted small">Drag to move them together, copy them with Ctrl+C, or delete them.</p>
          <button type="button" className="btn btn-sm" onClick={deleteSelection}>
            Delete selection
          </button>
        </div>
      ) : (
        <FlowSettingsForm />
      )}
    </div>
  );
}

function FlowSettingsForm() {
  const settings = useEditorStore((s) => s.settings);
  const setSettings = useEditorStore((s) => s.setSettings);
  const nodeCount = useEditorStore((s) => s.nodes.length);
  const edgeCount = useEditorStore((s) => s.edges.length);
  return (
    <div className="ed-inspector-flow">
      <h2>Flow settings</h2>
      <p className="muted small">Select a step on the canvas to edit its settings.</p>
      <fieldset className="ed-fieldset-plain" role="radiogroup" aria-describedby="ordering-help">
        <legend className="label">When an event of a key is dead-lettered</legend>
        <label className="ed-radio-card">
          <input
            type="radio"
            name="orderingPolicy"
            value="hold"
            checked={settings.orderingPolicy === "hold"}
            onChange={() => setSettings({ ...settings, orderingPolicy: "hold" })}
          />
          <span>
            <strong>Hold</strong> later events of that key until the dead letter is redriven or discarded (keeps order)
          </span>
        </label>
        <label className="ed-radio-card">
          <input
            type="radio"
            name="orderingPolicy"
            value="skip"
            checked={settings.orderingPolicy === "skip"}
            onChange={() => setSettings({ ...settings, orderingPolicy: "skip" })}
          />
          <span>
            <strong>Skip</strong> past it and keep processing later events of that key
          </span>
        </label>
        <div className="ed-help" id="ordering-help">
          Ordering policy: events with the same key (e.g. a SKU) run one at a time, in order.
        </div>
      </fieldset>
      <p className="muted small">
        {nodeCount} step{nodeCount === 1 ? "" : "s"}, {edgeCount} connection{edgeCount === 1 ? "" : "s"}
      </p>
    </div>
  );
}
