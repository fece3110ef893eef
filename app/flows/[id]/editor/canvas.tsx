"use client";
import {
  Background,
  BackgroundVariant,
  Controls,
  MarkerType,
  MiniMap,
  Panel,
  ReactFlow,
  useReactFlow,
  type Connection,
  type DefaultEdgeOptions,
  type Edge,
  type IsValidConnection,
} from "@xyflow/react";
import { Workflow } from "lucide-react";
import { useCallback, useState, type DragEvent } from "react";
import { useEditorStore, useEditorStoreApi } from "./editor-store";
import { wouldCreateCycle, type AppEdge, type AppNode } from "./flow-graph";
import { CanvasToolbar } from "./canvas-toolbar";
import { PALETTE_DRAG_TYPE } from "./palette";
import { nodeTypes } from "./step-node";

const defaultEdgeOptions: DefaultEdgeOptions = {
  type: "smoothstep",
  markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 },
};
const minimapStyle = { width: 168, height: 112 };
const fitViewOptions = { padding: 0.25, maxZoom: 1.1 };
/** Half the size of a node, so a dropped node lands centred under the pointer. */
const DROP_OFFSET = { x: 110, y: 28 };
// Above this many nodes, render only what is on screen; panning a 500-node flow stays smooth.
const VIRTUALIZE_FROM = 150;

function minimapColor(node: AppNode): string {
  if (node.type === "trigger") return "#a5b4fc";
  if (node.type === "unknown") return "#fca5a5";
  return "#cbd5e1";
}

export function Canvas() {
  const store = useEditorStoreApi();
  const nodes = useEditorStore((s) => s.nodes);
  const edges = useEditorStore((s) => s.edges);
  const onNodesChange = useEditorStore((s) => s.onNodesChange);
  const onEdgesChange = useEditorStore((s) => s.onEdgesChange);
  const { screenToFlowPosition } = useReactFlow<AppNode, AppEdge>();
  // Fit the loaded flow once. An empty flow must not be fitted later, when its first node
  // appears: the view would jump away from where the next drop is aimed.
  const [fitOnLoad] = useState(() => store.getState().nodes.length > 0);

  const onConnect = useCallback((connection: Connection) => void store.getState().connect(connection), [store]);

  const isValidConnection: IsValidConnection<Edge> = useCallback(
    (connection) => {
      const { edges: current, nodes: all } = store.getState();
      const target = all.find((n) => n.id === connection.target);
      if (!target || target.type === "trigger") return false;
      return !wouldCreateCycle(current, connection.source, connection.target);
    },
    [store],
  );

  const onDragOver = useCallback((event: DragEvent) => {
    if (!event.dataTransfer.types.includes(PALETTE_DRAG_TYPE)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  }, []);

  const onDrop = useCallback(
    (event: DragEvent) => {
      const kind = event.dataTransfer.getData(PALETTE_DRAG_TYPE);
      if (!kind) return;
      event.preventDefault();
      const point = screenToFlowPosition({ x: event.clientX, y: event.clientY });
      store.getState().addNode(kind, { x: point.x - DROP_OFFSET.x, y: point.y - DROP_OFFSET.y });
      store.getState().setSidePanel("inspector");
    },
    [screenToFlowPosition, store],
  );

  // With the test panel open, clicking a step shows that step of the test run instead.
  const onNodeClick = useCallback(() => {
    if (store.getState().sidePanel !== "test") store.getState().setSidePanel("inspector");
  }, [store]);

  return (
    <div className="ed-canvas" data-testid="canvas" onDragOver={onDragOver} onDrop={onDrop}>
      <ReactFlow<AppNode, AppEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        isValidConnection={isValidConnection}
        onNodeClick={onNodeClick}
        defaultEdgeOptions={defaultEdgeOptions}
        // Deletion, copy/paste and undo are the editor's own shortcuts (one undo step each).
        deleteKeyCode={null}
        fitView={fitOnLoad}
        fitViewOptions={fitViewOptions}
        minZoom={0.1}
        maxZoom={2}
        onlyRenderVisibleElements={nodes.length >= VIRTUALIZE_FROM}
        attributionPosition="bottom-center"
        connectionRadius={28}
        aria-label="Flow canvas"
      >
        <Panel position="top-left">
          <CanvasToolbar />
        </Panel>
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} color="#c7ccd4" />
        <Controls position="bottom-left" fitViewOptions={fitViewOptions} showInteractive={false} aria-label="Zoom controls" />
        {nodes.length > 0 && (
          <MiniMap<AppNode> position="bottom-right" style={minimapStyle} pannable zoomable nodeColor={minimapColor} nodeBorderRadius={6} ariaLabel="Mini map" />
        )}
      </ReactFlow>
      {nodes.length === 0 && (
        <div className="ed-canvas-empty" aria-hidden>
          <div className="ed-canvas-empty-icon"><Workflow size={32} strokeWidth={1.5} /></div>
          <div className="ed-canvas-empty-title">Start with a trigger</div>
          <div>Drag a step from the left onto the canvas, or click it to add it here.</div>
        </div>
      )}
    </div>
  );
}
