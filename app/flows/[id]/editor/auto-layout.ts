import type { XYPosition } from "@xyflow/react";
import type { AppEdge, AppNode } from "./flow-graph";

const FALLBACK_WIDTH = 220;
const FALLBACK_HEIGHT = 64;

/**
 * Left-to-right layered layout. dagre is loaded on first use so it stays out of the editor's
 * initial JavaScript.
 */
export async function layoutLeftToRight(nodes: readonly AppNode[], edges: readonly AppEdge[]): Promise<Map<string, XYPosition>> {
  const { Graph, layout } = await import("@dagrejs/dagre");
  const graph = new Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 36, ranksep: 90, marginx: 20, marginy: 20 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) {
    graph.setNode(node.id, { width: node.measured?.width ?? FALLBACK_WIDTH, height: node.measured?.height ?? FALLBACK_HEIGHT });
  }
  for (const edge of edges) graph.setEdge(edge.source, edge.target);
  layout(graph);
  const positions = new Map<string, XYPosition>();
  for (const node of nodes) {
    const placed = graph.node(node.id) as { x: number; y: number; width: number; height: number } | undefined;
    if (!placed) continue;
    // dagre gives centres; React Flow positions are top-left corners.
    positions.set(node.id, { x: Math.round(placed.x - placed.width / 2), y: Math.round(placed.y - placed.height / 2) });
  }
  return positions;
}
