"use client";
import { freeOffset } from "./free-space";
import { applyEdgeChanges, applyNodeChanges, type Connection, type EdgeChange, type NodeChange, type XYPosition } from "@xyflow/react";
import { createContext, useContext, useState, type ReactNode } from "react";
import { createStore, useStore, type StoreApi } from "zustand";
import type { FlowDocument, FlowSettings } from "@/server/flows/flow-document";
import type { FlowProblem } from "@/server/flows/validate-flow";
import {
  createNode,
  edgeIdFor,
  graphFromDocument,
  nextNodeId,
  wouldCreateCycle,
  type AppEdge,
  type AppNode,
} from "./flow-graph";

// One small store per open flow (xyflow's recommended shape): the graph, its undo history, the
// flow's server-side facts and the latest validation. Components read it through selectors so a
// change to one node re-renders that node, not the 499 others.

const HISTORY_LIMIT = 100;
/** Edits of the same thing within this window (typing in a field, one drag) undo as one step. */
const COALESCE_MS = 1000;

interface Snapshot {
  nodes: AppNode[];
  edges: AppEdge[];
  settings: FlowSettings;
  /** Identifies the document state, so undoing back to what was saved reads as "Saved" again. */
  editId: number;
}

/** What the side panel shows above the problems: the selected step (or flow settings), the version history, or the test-event panel. */
export type SidePanel = "inspector" | "history" | "test";

/** How a step did in the latest test run (painted on the canvas while the test panel is open). */
export interface TestOutcome {
  status: "running" | "succeeded" | "failed" | "skipped" | "suspended";
  durationMs: number | null;
}

export interface FlowFacts {
  flowId: string;
  name: string;
  enabled: boolean;
  revision: number;
  publishedVersion: number | null;
}

export interface EditorState extends FlowFacts {
  nodes: AppNode[];
  edges: AppEdge[];
  settings: FlowSettings;
  editId: number;
  savedEditId: number;
  past: Snapshot[];
  future: Snapshot[];
  coalesce: { key: string; at: number } | null;
  problems: FlowProblem[];
  problemCounts: Record<string, number>;
  sidePanel: SidePanel;
  problemsOpen: boolean;
  /** By node id: the latest test run's step outcomes; empty when no test ran. */
  testOutcomes: Record<string, TestOutcome>;
  /** By node id: why runs will refuse an address the step calls (flows.addressWarnings). */
  addressWarnings: Record<string, string[]>;

  onNodesChange: (changes: NodeChange<AppNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<AppEdge>[]) => void;
  connect: (connection: Connection) => boolean;
  addNode: (kind: string, position: XYPosition, connectFrom?: { source: string; sourceHandle: string | null }) => string | null;
  updateConfig: (nodeId: string, config: Record<string, unknown>, field: string) => void;
  setSettings: (settings: FlowSettings) => void;
  setPositions: (positions: Map<string, XYPosition>) => void;
  deleteSelection: () => number;
  copySelection: () => number;
  paste: () => number;
  undo: () => void;
  redo: () => void;
  selectOnly: (nodeId: string | null) => void;
  selectAll: () => void;
  setFacts: (facts: Partial<FlowFacts>) => void;
  loadDocument: (document: FlowDocument, facts: Partial<FlowFacts>) => void;
  markSaved: (editId: number, revision: number) => void;
  setProblems: (problems: FlowProblem[]) => void;
  setSidePanel: (panel: SidePanel) => void;
  setProblemsOpen: (open: boolean) => void;
  setTestOutcomes: (outcomes: Record<string, TestOutcome>) => void;
  setAddressWarnings: (warnings: { nodeId: string; field: string; message: string }[]) => void;
}

/** Copied steps live outside any one store, so they paste into another flow opened in this tab. */
let clipboard: { nodes: AppNode[]; edges: AppEdge[] } | null = null;

export function createEditorStore(facts: FlowFacts, document: FlowDocument): StoreApi<EditorState> {
  let editCounter = 1;
  const graph = graphFromDocument(document);

  return createStore<EditorState>()((set, get) => {
    const snapshot = (s: EditorState): Snapshot => ({ nodes: s.nodes, edges: s.edges, settings: s.settings, editId: s.editId });

    /** Applies a document change as one undoable step (or folds it into the last one). */
    const commit = (recipe: (s: EditorState) => Partial<Pick<EditorState, "nodes" | "edges" | "settings">>, coalesceKey?: string) => {
      const s = get();
      const now = Date.now();
      const fold = coalesceKey !== undefined && s.coalesce?.key === coalesceKey && now - s.coalesce.at < COALESCE_MS;
      set({
        ...recipe(s),
        past: fold ? s.past : [...s.past.slice(-(HISTORY_LIMIT - 1)), snapshot(s)],
        future: [],
        editId: ++editCounter,
        coalesce: coalesceKey ? { key: coalesceKey, at: now } : null,
      });
    };

    const deselectedNodes = (nodes: AppNode[]) => nodes.map((n) => (n.selected ? { ...n, selected: false } : n));
    const deselectedEdges = (edges: AppEdge[]) => edges.map((e) => (e.selected ? { ...e, selected: false } : e));

    return {
      ...facts,
      nodes: graph.nodes,
      edges: graph.edges,
      settings: document.settings,
      editId: 1,
      savedEditId: 1,
      past: [],
      future: [],
      coalesce: null,
      problems: [],
      problemCounts: {},
      sidePanel: "inspector",
      problemsOpen: true,
      testOutcomes: {},
      addressWarnings: {},

      onNodesChange: (changes) => {
        const structural = changes.filter((c) => c.type !== "select" && c.type !== "dimensions");
        if (structural.length === 0) {
          set({ nodes: applyNodeChanges(changes, get().nodes) });
          return;
        }
        const moves = structural.every((c) => c.type === "position");
        const key = moves ? `move:${structural.map((c) => (c.type === "position" ? c.id : "")).sort().join(",")}` : undefined;
        commit((s) => ({ nodes: applyNodeChanges(changes, s.nodes) }), key);
      },

      onEdgesChange: (changes) => {
        if (changes.every((c) => c.type === "select")) {
          set({ edges: applyEdgeChanges(changes, get().edges) });
          return;
        }
        commit((s) => ({ edges: applyEdgeChanges(changes, s.edges) }));
      },

      connect: ({ source, target, sourceHandle }) => {
        const { edges, nodes } = get();
        if (!source || !target || wouldCreateCycle(edges, source, target)) return false;
        const targetNode = nodes.find((n) => n.id === target);
        if (!targetNode || targetNode.type === "trigger") return false;
        const duplicate = edges.some((e) => e.source === source && e.target === target && (e.sourceHandle ?? null) === (sourceHandle ?? null));
        if (duplicate) return false;
        let id = edgeIdFor(source, sourceHandle, target);
        while (edges.some((e) => e.id === id)) id += "'";
        commit((s) => ({ edges: [...s.edges, { id, source, target, sourceHandle: sourceHandle ?? null }] }));
        return true;
      },

      addNode: (kind, position, connectFrom) => {
        const s = get();
        const node = createNode(kind, position, new Set(s.nodes.map((n) => n.id)));
        if (!node) return null;
        const selected = { ...node, selected: true } as AppNode;
        const canConnect = connectFrom && node.type !== "trigger";
        commit((st) => ({
          nodes: [...deselectedNodes(st.nodes), selected],
          edges: canConnect
            ? [
                ...deselectedEdges(st.edges),
                { id: edgeIdFor(connectFrom.source, connectFrom.sourceHandle, node.id), source: connectFrom.source, target: node.id, sourceHandle: connectFrom.sourceHandle },
              ]
            : deselectedEdges(st.edges),
        }));
        return node.id;
      },

      updateConfig: (nodeId, config, field) => {
        commit(
          (s) => ({ nodes: s.nodes.map((n) => (n.id === nodeId ? ({ ...n, data: { ...n.data, config } } as AppNode) : n)) }),
          `config:${nodeId}:${field}`,
        );
      },

      setSettings: (settings) => commit(() => ({ settings })),

      setPositions: (positions) => {
        commit((s) => ({
          nodes: s.nodes.map((n) => {
            const p = positions.get(n.id);
            return p ? ({ ...n, position: p } as AppNode) : n;
          }),
        }));
      },

      deleteSelection: () => {
        const s = get();
        const doomed = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id));
        const edgesLeft = s.edges.filter((e) => !e.selected && !doomed.has(e.source) && !doomed.has(e.target));
        const removed = doomed.size + (s.edges.length - edgesLeft.length);
        if (removed === 0) return 0;
        commit((st) => ({ nodes: st.nodes.filter((n) => !doomed.has(n.id)), edges: edgesLeft }));
        return doomed.size || s.edges.length - edgesLeft.length;
      },

      copySelection: () => {
        const s = get();
        const nodes = s.nodes.filter((n) => n.selected);
        if (nodes.length === 0) return 0;
        const ids = new Set(nodes.map((n) => n.id));
        clipboard = { nodes, edges: s.edges.filter((e) => ids.has(e.source) && ids.has(e.target)) };
        return nodes.length;
      },

      paste: () => {
        if (!clipboard || clipboard.nodes.length === 0) return 0;
        const s = get();
        const taken = new Set(s.nodes.map((n) => n.id));
        const idMap = new Map<string, string>();
        // Below and right of the copied steps, moved on until no pasted step covers another.
        const offset = freeOffset(s.nodes, clipboard.nodes, { x: 40, y: 40 }, { x: 40, y: 40 });
        const pasted = clipboard.nodes.map((n) => {
          const id = nextNodeId(n.data.kind, taken);
          taken.add(id);
          idMap.set(n.id, id);
          return {
            id,
            type: n.type,
            position: { x: n.position.x + offset.x, y: n.position.y + offset.y },
            data: { ...n.data, config: structuredClone(n.data.config) },
            selected: true,
          } as AppNode;
        });
        const pastedEdges: AppEdge[] = clipboard.edges.map((e) => {
          const source = idMap.get(e.source)!;
          const target = idMap.get(e.target)!;
          return { id: edgeIdFor(source, e.sourceHandle, target), source, target, sourceHandle: e.sourceHandle ?? null };
        });
        commit((st) => ({ nodes: [...deselectedNodes(st.nodes), ...pasted], edges: [...deselectedEdges(st.edges), ...pastedEdges] }));
        return pasted.length;
      },

      undo: () => {
        const s = get();
        const previous = s.past[s.past.length - 1];
        if (!previous) return;
        set({ ...previous, past: s.past.slice(0, -1), future: [snapshot(s), ...s.future], coalesce: null });
      },

      redo: () => {
        const s = get();
        const next = s.future[0];
        if (!next) return;
        set({ ...next, past: [...s.past, snapshot(s)], future: s.future.slice(1), coalesce: null });
      },

      selectOnly: (nodeId) => {
        const s = get();
        set({
          nodes: s.nodes.map((n) => ((n.id === nodeId) === !!n.selected ? n : ({ ...n, selected: n.id === nodeId } as AppNode))),
          edges: deselectedEdges(s.edges),
        });
      },

      selectAll: () => {
        const s = get();
        set({ nodes: s.nodes.map((n) => (n.selected ? n : ({ ...n, selected: true } as AppNode))) });
      },

      setFacts: (partial) => set(partial),

      loadDocument: (doc, partial) => {
        const g = graphFromDocument(doc);
        const editId = ++editCounter;
        set({ ...partial, name: doc.name, nodes: g.nodes, edges: g.edges, settings: doc.settings, editId, savedEditId: editId, past: [], future: [], coalesce: null });
      },

      markSaved: (editId, revision) => set({ savedEditId: editId, revision }),

      setProblems: (problems) => {
        const problemCounts: Record<string, number> = {};
        for (const p of problems) if (p.nodeId) problemCounts[p.nodeId] = (problemCounts[p.nodeId] ?? 0) + 1;
        set({ problems, problemCounts });
      },

      setSidePanel: (sidePanel) => set({ sidePanel }),
      setTestOutcomes: (testOutcomes) => set({ testOutcomes }),
      setAddressWarnings: (warnings) => {
        const byNode: Record<string, string[]> = {};
        for (const w of warnings) (byNode[w.nodeId] ??= []).push(`${w.field}: ${w.message}`);
        set({ addressWarnings: byNode });
      },
      setProblemsOpen: (problemsOpen) => set({ problemsOpen }),
    };
  });
}

const EditorStoreContext = createContext<StoreApi<EditorState> | null>(null);

export function EditorStoreProvider({ facts, document, children }: { facts: FlowFacts; document: FlowDocument; children: ReactNode }) {
  const [store] = useState(() => createEditorStore(facts, document));
  return <EditorStoreContext.Provider value={store}>{children}</EditorStoreContext.Provider>;
}

export function useEditorStoreApi(): StoreApi<EditorState> {
  const store = useContext(EditorStoreContext);
  if (!store) throw new Error("useEditorStore must be used inside <EditorStoreProvider>");
  return store;
}

/** Reads one slice of the editor state; the component re-renders only when that slice changes. */
export function useEditorStore<T>(selector: (state: EditorState) => T): T {
  return useStore(useEditorStoreApi(), selector);
}

export const selectIsDirty = (s: EditorState) => s.editId !== s.savedEditId;

/** The one selected node, or null when none or several are selected. */
export const selectSingleSelectedNodeId = (s: EditorState): string | null => {
  let found: string | null = null;
  for (const n of s.nodes) {
    if (!n.selected) continue;
    if (found !== null) return null;
    found = n.id;
  }
  return found;
};

export const selectSelectionCount = (s: EditorState): number => {
  let count = 0;
  for (const n of s.nodes) if (n.selected) count++;
  for (const e of s.edges) if (e.selected) count++;
  return count;
};
