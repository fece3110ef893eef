import type { Edge, Node, XYPosition } from "@xyflow/react";
import { FLOW_SCHEMA_VERSION, type FlowDocument, type FlowSettings } from "@/server/flows/flow-document";
import { defaultConfig, upgradeConfig } from "@/server/nodes/define-node";
import { getNodeDefinition } from "@/server/nodes/registry";

// The editor's graph is React Flow's nodes and edges; the flow document (docs/architecture.md) is what gets
// saved. These functions are the only place the two shapes meet.

/** What every step carries. The shape of `config` is given by the node definition of `kind`. */
export type StepData = {
  kind: string;
  /** The definition version the config was written for (n8n-style node versioning). */
  version: number;
  config: Record<string, unknown>;
};

/** Starts a flow: no incoming handle. */
export type TriggerNode = Node<StepData, "trigger">;
/** Actions and logic (condition, switch…): one incoming handle, one or more outgoing. */
export type ActionNode = Node<StepData, "action">;
/** A kind this build does not know (an import from a newer Syncline, a removed node type). */
export type UnknownNode = Node<StepData, "unknown">;
export type AppNode = TriggerNode | ActionNode | UnknownNode;
export type AppEdge = Edge;

function nodeTypeOf(kind: string): AppNode["type"] {
  if (!getNodeDefinition(kind)) return "unknown";
  return kind.startsWith("trigger:") ? "trigger" : "action";
}

/** A saved node as the canvas holds it; an older version's config is upgraded, so the form edits the current schema. */
function toAppNode(node: { id: string; kind: string; version: number; config: Record<string, unknown>; position: XYPosition }): AppNode {
  const definition = getNodeDefinition(node.kind);
  const outdated = definition !== undefined && node.version < definition.version;
  return {
    id: node.id,
    type: nodeTypeOf(node.kind),
    position: { x: node.position.x, y: node.position.y },
    data: {
      kind: node.kind,
      version: outdated ? definition!.version : node.version,
      config: outdated ? (upgradeConfig(definition!, node.version, node.config) as Record<string, unknown>) : node.config,
    },
  } as AppNode;
}

function toAppEdge(edge: { id: string; source: string; target: string; sourceHandle?: string | null }): AppEdge {
  return { id: edge.id, source: edge.source, target: edge.target, sourceHandle: edge.sourceHandle ?? null };
}

export function graphFromDocument(document: FlowDocument): { nodes: AppNode[]; edges: AppEdge[] } {
  return { nodes: document.nodes.map(toAppNode), edges: document.edges.map(toAppEdge) };
}

export function documentFromGraph(name: string, nodes: AppNode[], edges: AppEdge[], settings: FlowSettings): FlowDocument {
  return {
    schemaVersion: FLOW_SCHEMA_VERSION,
    name,
    nodes: nodes.map((n) => ({
      id: n.id,
      kind: n.data.kind,
      version: n.data.version,
      config: n.data.config,
      // Whole pixels keep exported files readable and diffs quiet.
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
    })),
    edges: edges.map((e) => (e.sourceHandle ? { id: e.id, source: e.source, target: e.target, sourceHandle: e.sourceHandle } : { id: e.id, source: e.source, target: e.target })),
    settings,
  };
}

/**
 * Node ids double as step names in expressions (`steps.http_request_1.status`), so they are
 * readable JSONata identifiers derived from the kind rather than random strings.
 */
export function nextNodeId(kind: string, taken: ReadonlySet<string>): string {
  const base = (kind.split(":")[1] ?? "step").replace(/[^a-zA-Z0-9]+/g, "_").replace(/^_+|_+$/g, "") || "step";
  const start = /^[0-9]/.test(base) ? `n_${base}` : base;
  for (let i = 1; ; i++) {
    const id = `${start}_${i}`;
    if (!taken.has(id)) return id;
  }
}

export function edgeIdFor(source: string, sourceHandle: string | null | undefined, target: string): string {
  return `${source}${sourceHandle ? `:${sourceHandle}` : ""}->${target}`;
}

/** A new node of `kind` at `position`, its config at the definition's defaults. */
export function createNode(kind: string, position: XYPosition, taken: ReadonlySet<string>): AppNode | null {
  const definition = getNodeDefinition(kind);
  if (!definition) return null;
  return toAppNode({ id: nextNodeId(kind, taken), kind, version: definition.version, config: defaultConfig(definition), position });
}

/** True when `target` can already reach `source`, i.e. the edge source→target would close a cycle. */
export function wouldCreateCycle(edges: readonly AppEdge[], source: string, target: string): boolean {
  if (source === target) return true;
  const outgoing = new Map<string, string[]>();
  for (const e of edges) {
    const list = outgoing.get(e.source);
    if (list) list.push(e.target);
    else outgoing.set(e.source, [e.target]);
  }
  const seen = new Set<string>([target]);
  const stack = [target];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === source) return true;
    for (const next of outgoing.get(id) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return false;
}

/** Every node that runs before `nodeId` (its ancestors), nearest first. */
export function upstreamNodeIds(edges: readonly AppEdge[], nodeId: string): string[] {
  const incoming = new Map<string, string[]>();
  for (const e of edges) {
    const list = incoming.get(e.target);
    if (list) list.push(e.source);
    else incoming.set(e.target, [e.source]);
  }
  const order: string[] = [];
  const seen = new Set<string>([nodeId]);
  const queue = [nodeId];
  while (queue.length) {
    const id = queue.shift()!;
    for (const prev of incoming.get(id) ?? []) {
      if (!seen.has(prev)) {
        seen.add(prev);
        order.push(prev);
        queue.push(prev);
      }
    }
  }
  return order;
}
