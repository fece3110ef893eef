"use client";
import type { VersionChanges } from "@/server/flows/version-changes";
import { History, X } from "lucide-react";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDialog } from "@/app/components/dialog";
import { EmptyState, ErrorState, LoadingRows } from "@/app/components/states";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useEditorCommands } from "./editor-commands";
import { selectIsDirty, useEditorStore } from "./editor-store";

// The published versions of the flow, each restorable into the draft. side-panels.tsx loads it
// when History is first opened (docs/decisions/0033-editor-route-javascript.md).

function formatDate(date: Date) {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(date);
}

/** "Added translate · Changed webshop · 1 connection added": what this version changed from the one before. */
function VersionChangeList({ changes, first }: { changes: VersionChanges; first: boolean }) {
  if (first) return <div className="small ed-version-changes">First version</div>;
  const parts: string[] = [];
  if (changes.added.length) parts.push(`Added ${changes.added.join(", ")}`);
  if (changes.removed.length) parts.push(`Removed ${changes.removed.join(", ")}`);
  if (changes.changed.length) parts.push(`Changed ${changes.changed.join(", ")}`);
  const connections = changes.connectionsAdded + changes.connectionsRemoved;
  if (connections && !changes.added.length && !changes.removed.length) {
    parts.push(`${connections} connection${connections === 1 ? "" : "s"} ${changes.connectionsAdded && changes.connectionsRemoved ? "changed" : changes.connectionsAdded ? "added" : "removed"}`);
  }
  if (changes.settingsChanged) parts.push("Flow settings changed");
  return (
    <ul className="small ed-version-changes" aria-label="Changes from the version before">
      {parts.length === 0 ? <li>Only steps moved</li> : parts.map((p) => <li key={p}>{p}</li>)}
    </ul>
  );
}

export function HistoryPanel() {
  const trpc = useTRPC();
  const flowId = useEditorStore((s) => s.flowId);
  const publishedVersion = useEditorStore((s) => s.publishedVersion);
  const dirty = useEditorStore(selectIsDirty);
  const { restoreVersion } = useEditorCommands();
  const setSidePanel = useEditorStore((s) => s.setSidePanel);
  const versions = useQuery(trpc.flows.versions.queryOptions({ id: flowId }));
  const [confirming, setConfirming] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);

  return (
    <div className="ed-history" data-testid="history-panel">
      <div className="ed-history-head">
        <h2>History</h2>
        <button type="button" className="btn btn-ghost btn-sm" onClick={() => setSidePanel("inspector")} aria-label="Close history">
          <X size={16} aria-hidden />
        </button>
      </div>
      <p className="muted small ed-history-intro">Every publish keeps an immutable version. Restoring one copies it into the draft.</p>
      {versions.isPending ? (
        <LoadingRows rows={3} label="Loading versions" />
      ) : versions.isError ? (
        <ErrorState message={errorMessage(versions.error)} onRetry={() => void versions.refetch()} />
      ) : versions.data.length === 0 ? (
        <EmptyState icon={History} title="No versions yet">
          Publish the flow to create version 1. Each publish keeps an immutable copy you can restore.
        </EmptyState>
      ) : (
        <ol className="ed-version-list" aria-label="Published versions">
          {versions.data.map((v) => (
            <li key={v.version} className="ed-version">
              <div className="ed-version-main">
                <div className="ed-version-title">
                  Version {v.version}
                  {v.version === publishedVersion && <span className="badge badge-success">Live</span>}
                </div>
                <div className="muted small">
                  {formatDate(v.createdAt)} · {v.nodeCount} step{v.nodeCount === 1 ? "" : "s"}
                  {v.publishedBy && <> · by {v.publishedBy}</>}
                </div>
                <VersionChangeList changes={v.changes} first={v.version === versions.data[versions.data.length - 1]?.version} />
              </div>
              <button type="button" className="btn btn-sm" onClick={() => setConfirming(v.version)} aria-label={`Restore version ${v.version}`}>
                Restore
              </button>
            </li>
          ))}
        </ol>
      )}
      {confirming !== null && (
        <ConfirmDialog
          title={`Restore version ${confirming}?`}
          message={
            <>
              The draft&apos;s steps, connections and settings are replaced by version {confirming}; the flow keeps its current name. The
              published version does not change until you publish again.
              {dirty && <strong> Your unsaved changes will be lost.</strong>}
            </>
          }
          confirmLabel="Restore"
          busy={busy}
          onCancel={() => setConfirming(null)}
          onConfirm={async () => {
            setBusy(true);
            await restoreVersion(confirming);
            setBusy(false);
            setConfirming(null);
          }}
        />
      )}
    </div>
  );
}
