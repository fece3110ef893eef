"use client";
import { SearchX } from "lucide-react";
import "@xyflow/react/dist/style.css";
import "./editor.css";
import { useQuery } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { ReactFlowProvider } from "@xyflow/react";
import Link from "next/link";
import { useEffect } from "react";
import { EmptyState, ErrorState } from "@/app/components/states";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { Canvas } from "./canvas";
import { EditorCommandsProvider, useEditorCommands, usePersistenceStatus } from "./editor-commands";
import { EditorHeader } from "./editor-header";
import { EditorStoreProvider, selectIsDirty, useEditorStore, useEditorStoreApi } from "./editor-store";
import { useLiveValidation } from "./live-validation";
import { Palette } from "./palette";
import { useEditorShortcuts } from "./shortcuts";
import { SidePanel } from "./side-panels";

function isNotFound(error: unknown) {
  return error instanceof TRPCClientError && (error.data as { code?: string } | undefined)?.code === "NOT_FOUND";
}

/** Warns before closing or reloading the tab with unsaved changes. */
function useUnsavedChangesWarning() {
  const store = useEditorStoreApi();
  useEffect(() => {
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      if (!selectIsDirty(store.getState())) return;
      event.preventDefault();
      // Older browsers show the prompt only when returnValue is set.
      event.returnValue = "";
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => window.removeEventListener("beforeunload", onBeforeUnload);
  }, [store]);
}

function useDocumentTitle() {
  const name = useEditorStore((s) => s.name);
  const dirty = useEditorStore(selectIsDirty);
  useEffect(() => {
    document.title = `${dirty ? "• " : ""}${name} · Syncline`;
  }, [name, dirty]);
}

function ConflictBanner() {
  const { conflict, dismissConflict } = usePersistenceStatus();
  const { reload } = useEditorCommands();
  if (!conflict) return null;
  return (
    <div className="alert alert-danger ed-conflict" role="alert">
      <span className="ed-conflict-text">{conflict}</span>
      <button type="button" className="btn btn-sm btn-danger" onClick={() => void reload()}>
        Reload
      </button>
      <button type="button" className="btn btn-sm" onClick={dismissConflict}>
        Keep editing
      </button>
    </div>
  );
}

function Workspace() {
  useEditorShortcuts();
  useLiveValidation();
  useUnsavedChangesWarning();
  useDocumentTitle();
  return (
    <div className="ed-root">
      <EditorHeader />
      <ConflictBanner />
      <div className="ed-body">
        <Palette />
        <Canvas />
        <SidePanel />
      </div>
    </div>
  );
}

function EditorSkeleton() {
  return (
    <div className="ed-root" aria-busy="true" aria-label="Loading the flow">
      <div className="ed-header">
        <div className="skeleton" style={{ width: 28, height: 28 }} />
        <div className="skeleton" style={{ width: 220, height: 22 }} />
        <div className="skeleton" style={{ width: 90, height: 20 }} />
        <div className="ed-header-spacer" />
        <div className="skeleton" style={{ width: 240, height: 28 }} />
      </div>
      <div className="ed-body">
        <div className="ed-palette ed-skeleton-column">
          {Array.from({ length: 9 }, (_, i) => (
            <div key={i} className="skeleton" style={{ height: 38, width: `${92 - (i % 3) * 8}%` }} />
          ))}
        </div>
        <div className="ed-canvas ed-canvas-loading">
          <div className="spinner" aria-hidden />
          <span className="muted">Loading flow…</span>
        </div>
        <div className="ed-side ed-skeleton-column">
          {Array.from({ length: 5 }, (_, i) => (
            <div key={i} className="skeleton" style={{ height: i === 0 ? 28 : 18, width: `${90 - i * 10}%` }} />
          ))}
        </div>
      </div>
    </div>
  );
}

export function FlowEditor({ flowId }: { flowId: string }) {
  const trpc = useTRPC();
  const flow = useQuery({
    ...trpc.flows.get.queryOptions({ id: flowId }),
    // The editor owns the document once loaded: no background refetch may replace it, and a
    // later visit must load fresh (with the current revision), not a cached copy.
    staleTime: Infinity,
    gcTime: 0,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
    retry: (count, error) => !isNotFound(error) && count < 2,
  });

  if (flow.isPending) return <EditorSkeleton />;
  if (flow.isError) {
    return (
      <div className="page">
        <div className="page-inner">
          {isNotFound(flow.error) ? (
            <div className="card">
              <EmptyState
                icon={SearchX}
                title="Flow not found"
                action={
                  <Link href="/" className="btn btn-primary">
                    Back to flows
                  </Link>
                }
              >
                There is no flow with the id “{flowId}”. It may have been deleted, or the link is incomplete.
              </EmptyState>
            </div>
          ) : (
            <>
              <ErrorState message={`Could not load the flow: ${errorMessage(flow.error)}`} onRetry={() => void flow.refetch()} />
              <Link href="/">← Back to flows</Link>
            </>
          )}
        </div>
      </div>
    );
  }

  const data = flow.data;
  return (
    <EditorStoreProvider
      key={data.id}
      facts={{ flowId: data.id, name: data.name, enabled: data.enabled, revision: data.revision, publishedVersion: data.publishedVersion }}
      document={data.document}
    >
      <ReactFlowProvider>
        <EditorCommandsProvider>
          <Workspace />
        </EditorCommandsProvider>
      </ReactFlowProvider>
    </EditorStoreProvider>
  );
}
