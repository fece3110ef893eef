"use client";
import { freeSpot } from "./free-space";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { useReactFlow } from "@xyflow/react";
import { createContext, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useToast } from "@/app/components/toast";
import { handlesOf } from "@/server/nodes/define-node";
import { getNodeDefinition } from "@/server/nodes/registry";
import { layoutLeftToRight } from "./auto-layout";
import { selectIsDirty, selectSingleSelectedNodeId, useEditorStoreApi } from "./editor-store";
import { documentFromGraph, type AppEdge, type AppNode } from "./flow-graph";
import type { FlowProblem } from "@/server/flows/validate-flow";

// Everything a button, a shortcut or a panel can ask the editor to do, in one place, so the
// toolbar button and its keyboard shortcut can never drift apart.

export interface EditorCommands {
  addNodeFromPalette: (kind: string) => void;
  undo: () => void;
  redo: () => void;
  deleteSelection: () => void;
  copy: () => void;
  paste: () => void;
  selectAll: () => void;
  clearSelection: () => void;
  autoLayout: () => Promise<void>;
  fitView: () => void;
  focusNode: (nodeId: string) => void;
  save: () => Promise<boolean>;
  publish: () => Promise<void>;
  reload: () => Promise<void>;
  restoreVersion: (version: number) => Promise<boolean>;
  exportDocument: () => void;
}

export interface PersistenceStatus {
  saving: boolean;
  publishing: boolean;
  /** The server's message when a save was refused because someone else saved first. */
  conflict: string | null;
  dismissConflict: () => void;
}

const CommandsContext = createContext<EditorCommands | null>(null);
const StatusContext = createContext<PersistenceStatus | null>(null);

export function useEditorCommands(): EditorCommands {
  const commands = useContext(CommandsContext);
  if (!commands) throw new Error("useEditorCommands must be used inside <EditorCommandsProvider>");
  return commands;
}

export function usePersistenceStatus(): PersistenceStatus {
  const status = useContext(StatusContext);
  if (!status) throw new Error("usePersistenceStatus must be used inside <EditorCommandsProvider>");
  return status;
}

const NODE_WIDTH = 220;
const NODE_GAP_X = 90;
const CASCADE = 32;

function isConflict(error: unknown) {
  return error instanceof TRPCClientError && (error.data as { code?: string } | undefined)?.code === "CONFLICT";
}

/** A file name people recognise: the flow's name, minus characters file systems refuse. */
function exportFileName(name: string) {
  const safe = name.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, "-").trim() || "flow";
  return `${safe}.syncline.json`;
}

export function EditorCommandsProvider({ children }: { children: ReactNode }) {
  const store = useEditorStoreApi();
  const reactFlow = useReactFlow<AppNode, AppEdge>();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [conflict, setConflict] = useState<string | null>(null);

  const saveMutation = useMutation(trpc.flows.save.mutationOptions());
  const publishMutation = useMutation(trpc.flows.publish.mutationOptions());
  const restoreMutation = useMutation(trpc.flows.restoreVersion.mutationOptions());

  // Mutation functions and the toast are read through a ref so the commands object stays stable
  // (memoized palette items and nodes do not re-render when a save starts or ends).
  const live = useRef({ saveMutation, publishMutation, restoreMutation, toast, queryClient, trpc });
  live.current = { saveMutation, publishMutation, restoreMutation, toast, queryClient, trpc };
  const inFlightSave = useRef<Promise<boolean> | null>(null);
  const pendingLayout = useRef<Promise<void> | null>(null);

  const commands = useMemo<EditorCommands>(() => {
    const flowId = () => store.getState().flowId;
    const invalidateLists = () => {
      const { queryClient: qc, trpc: t } = live.current;
      void qc.invalidateQueries({ queryKey: t.flows.versions.queryKey({ id: flowId() }) });
      void qc.invalidateQueries({ queryKey: t.flows.list.queryKey() });
    };

    const saveOnce = async (): Promise<boolean> => {
      const s = store.getState();
      if (!selectIsDirty(s)) return true;
      const editId = s.editId;
      const document = documentFromGraph(s.name, s.nodes, s.edges, s.settings);
      try {
        const result = await live.current.saveMutation.mutateAsync({ id: s.flowId, revision: s.revision, document });
        store.getState().markSaved(editId, result.revision);
        setConflict(null);
        void live.current.queryClient.invalidateQueries({ queryKey: live.current.trpc.flows.list.queryKey() });
        return true;
      } catch (error) {
        if (isConflict(error)) setConflict(errorMessage(error));
        else live.current.toast(`Could not save: ${errorMessage(error)}`, "error");
        return false;
      }
    };

    const save = async (): Promise<boolean> => {
      // A layout still computing belongs to what the person asked to save.
      if (pendingLayout.current) await pendingLayout.current;
      // One save at a time: a second Ctrl+S waits for the first, then saves what changed since.
      while (inFlightSave.current) await inFlightSave.current;
      const attempt = saveOnce();
      inFlightSave.current = attempt;
      try {
        return await attempt;
      } finally {
        inFlightSave.current = null;
      }
    };

    const focusNode = (nodeId: string) => {
      const s = store.getState();
      const node = s.nodes.find((n) => n.id === nodeId);
      if (!node) return;
      s.selectOnly(nodeId);
      s.setSidePanel("inspector");
      const width = node.measured?.width ?? NODE_WIDTH;
      const height = node.measured?.height ?? 60;
      void reactFlow.setCenter(node.position.x + width / 2, node.position.y + height / 2, { zoom: Math.max(reactFlow.getZoom(), 0.9), duration: 300 });
    };

    /** Pans (never zooms) so that a node placed off-screen, e.g. after the selected one, comes into view. */
    const revealNode = (nodeId: string) => {
      const node = store.getState().nodes.find((n) => n.id === nodeId);
      const canvas = document.querySelector<HTMLElement>("[data-testid='canvas']");
      if (!node || !canvas) return;
      const rect = canvas.getBoundingClientRect();
      const topLeft = reactFlow.screenToFlowPosition({ x: rect.left, y: rect.top });
      const bottomRight = reactFlow.screenToFlowPosition({ x: rect.right, y: rect.bottom });
      const margin = 40 / reactFlow.getZoom();
      const inside =
        node.position.x >= topLeft.x + margin &&
        node.position.y >= topLeft.y + margin &&
        node.position.x + NODE_WIDTH <= bottomRight.x - margin &&
        node.position.y + 60 <= bottomRight.y - margin;
      if (!inside) void reactFlow.setCenter(node.position.x + NODE_WIDTH / 2, node.position.y + 30, { zoom: reactFlow.getZoom(), duration: 250 });
    };

    return {
      addNodeFromPalette: (kind) => {
        const s = store.getState();
        const selectedId = selectSingleSelectedNodeId(s);
        const after = selectedId ? s.nodes.find((n) => n.id === selectedId) : undefined;
        const afterDefinition = after ? getNodeDefinition(after.data.kind) : undefined;
        let id: string | null;
        if (after && afterDefinition && !kind.startsWith("trigger:")) {
          // With a step selected, the new one goes after it and is wired to its first free branch.
          const handles = handlesOf(afterDefinition, after.data.config);
          const used = new Set(s.edges.filter((e) => e.source === after.id).map((e) => e.sourceHandle ?? handles[0]?.id));
          const handleIndex = Math.max(0, handles.findIndex((h) => !used.has(h.id)));
          const handle = handles[handleIndex] ?? handles[0];
          const start = { x: after.position.x + (after.measured?.width ?? NODE_WIDTH) + NODE_GAP_X, y: after.position.y + handleIndex * 110 };
          id = s.addNode(kind, freeSpot(s.nodes, start, { x: 0, y: 110 }), handle ? { source: after.id, sourceHandle: handle.id } : undefined);
        } else {
          const canvas = document.querySelector<HTMLElement>("[data-testid='canvas']");
          const rect = canvas?.getBoundingClientRect();
          const centre = rect ? reactFlow.screenToFlowPosition({ x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 }) : { x: 0, y: 0 };
          id = s.addNode(kind, freeSpot(s.nodes, { x: centre.x - NODE_WIDTH / 2, y: centre.y - 30 }, { x: CASCADE, y: CASCADE }));
        }
        if (!id) return;
        store.getState().setSidePanel("inspector");
        revealNode(id);
      },
      undo: () => store.getState().undo(),
      redo: () => store.getState().redo(),
      deleteSelection: () => void store.getState().deleteSelection(),
      copy: () => {
        const count = store.getState().copySelection();
        if (count > 0) live.current.toast(`Copied ${count} step${count === 1 ? "" : "s"}`);
      },
      paste: () => void store.getState().paste(),
      selectAll: () => store.getState().selectAll(),
      clearSelection: () => store.getState().selectOnly(null),
      autoLayout: async () => {
        const s = store.getState();
        if (s.nodes.length === 0) return;
        const run = layoutLeftToRight(s.nodes, s.edges).then((positions) => {
          store.getState().setPositions(positions);
          requestAnimationFrame(() => void reactFlow.fitView({ padding: 0.2, maxZoom: 1.1, duration: 300 }));
        });
        pendingLayout.current = run;
        try {
          await run;
        } finally {
          if (pendingLayout.current === run) pendingLayout.current = null;
        }
      },
      fitView: () => void reactFlow.fitView({ padding: 0.2, maxZoom: 1.1, duration: 300 }),
      focusNode,
      save,
      publish: async () => {
        if (selectIsDirty(store.getState()) && !(await save())) return;
        try {
          const { version } = await live.current.publishMutation.mutateAsync({ id: flowId() });
          store.getState().setFacts({ publishedVersion: version });
          live.current.toast(`Published version ${version}`, "success");
          invalidateLists();
        } catch (error) {
          // Problems only the server can see (a channel that does not exist, a webhook path in
          // use) go on the nodes like any other until the next edit re-validates.
          const serverProblems = (error as { data?: { problems?: FlowProblem[] | null } }).data?.problems;
          if (serverProblems?.length) {
            const s = store.getState();
            s.setProblems([...s.problems, ...serverProblems.filter((p) => !s.problems.some((q) => q.message === p.message))]);
            s.setProblemsOpen(true);
          }
          live.current.toast(`Could not publish: ${errorMessage(error)}`, "error");
        }
      },
      reload: async () => {
        const { queryClient: qc, trpc: t } = live.current;
        try {
          const flow = await qc.fetchQuery({ ...t.flows.get.queryOptions({ id: flowId() }), staleTime: 0 });
          store.getState().loadDocument(flow.document, {
            name: flow.name,
            enabled: flow.enabled,
            revision: flow.revision,
            publishedVersion: flow.publishedVersion,
          });
          setConflict(null);
          live.current.toast("Loaded the latest saved version");
        } catch (error) {
          live.current.toast(`Could not reload: ${errorMessage(error)}`, "error");
        }
      },
      restoreVersion: async (version) => {
        const s = store.getState();
        try {
          const result = await live.current.restoreMutation.mutateAsync({ id: s.flowId, version, revision: s.revision });
          store.getState().loadDocument(result.document, { revision: result.revision });
          live.current.toast(`Version ${version} restored into the draft`, "success");
          invalidateLists();
          requestAnimationFrame(() => void reactFlow.fitView({ padding: 0.2, maxZoom: 1.1 }));
          return true;
        } catch (error) {
          if (isConflict(error)) setConflict(errorMessage(error));
          else live.current.toast(`Could not restore: ${errorMessage(error)}`, "error");
          return false;
        }
      },
      exportDocument: () => {
        const s = store.getState();
        const document = documentFromGraph(s.name, s.nodes, s.edges, s.settings);
        const blob = new Blob([`${JSON.stringify(document, null, 2)}\n`], { type: "application/json" });
        const url = URL.createObjectURL(blob);
        const link = window.document.createElement("a");
        link.href = url;
        link.download = exportFileName(s.name);
        window.document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      },
    };
  }, [store, reactFlow]);

  const status = useMemo<PersistenceStatus>(
    () => ({ saving: saveMutation.isPending, publishing: publishMutation.isPending, conflict, dismissConflict: () => setConflict(null) }),
    [saveMutation.isPending, publishMutation.isPending, conflict],
  );

  return (
    <CommandsContext.Provider value={commands}>
      <StatusContext.Provider value={status}>{children}</StatusContext.Provider>
    </CommandsContext.Provider>
  );
}
