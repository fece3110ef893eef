"use client";
import { ArrowLeft, Pencil, TriangleAlert } from "lucide-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useHasRole } from "@/app/components/current-user";
import Link from "next/link";
import { useRef, useState, type FormEvent } from "react";
import { useToast } from "@/app/components/toast";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useEditorCommands, usePersistenceStatus } from "./editor-commands";
import { selectIsDirty, useEditorStore, useEditorStoreApi } from "./editor-store";

function FlowName() {
  const store = useEditorStoreApi();
  const name = useEditorStore((s) => s.name);
  const flowId = useEditorStore((s) => s.flowId);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const rename = useMutation(trpc.flows.rename.mutationOptions());
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(name);
  const [error, setError] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  const start = () => {
    setDraft(name);
    setError(null);
    setEditing(true);
    requestAnimationFrame(() => inputRef.current?.select());
  };

  const committing = useRef(false);
  const commit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (committing.current) return;
    const next = draft.trim();
    if (!next) {
      setError("Give the flow a name");
      return;
    }
    if (next === name) {
      setEditing(false);
      return;
    }
    committing.current = true;
    try {
      await rename.mutateAsync({ id: flowId, name: next });
      // A rename is a save on the server (revision + 1). Counting it here keeps our next save
      // from being refused, while a save by someone else in between still is.
      const s = store.getState();
      s.setFacts({ name: next, revision: s.revision + 1 });
      setEditing(false);
      void queryClient.invalidateQueries({ queryKey: trpc.flows.list.queryKey() });
    } catch (e) {
      setError(errorMessage(e));
      toast(`Could not rename: ${errorMessage(e)}`, "error");
    } finally {
      committing.current = false;
    }
  };

  if (editing) {
    return (
      <form className="ed-name-form" onSubmit={commit}>
        <input
          ref={inputRef}
          className="input ed-name-input"
          aria-label="Flow name"
          value={draft}
          maxLength={200}
          aria-invalid={error ? true : undefined}
          title={error ?? undefined}
          disabled={rename.isPending}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={() => void commit()}
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              e.preventDefault();
              setEditing(false);
            }
          }}
        />
      </form>
    );
  }
  return (
    <button type="button" className="ed-name" onClick={start} title="Rename" aria-label={`Flow name: ${name}. Rename`}>
      <h1>{name}</h1>
      <span className="ed-name-pencil" aria-hidden>
        <Pencil size={14} />
      </span>
    </button>
  );
}

function EnabledToggle() {
  const store = useEditorStoreApi();
  const enabled = useEditorStore((s) => s.enabled);
  const flowId = useEditorStore((s) => s.flowId);
  const publishedVersion = useEditorStore((s) => s.publishedVersion);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const setEnabled = useMutation(trpc.flows.setEnabled.mutationOptions());
  const cannotEnable = !enabled && publishedVersion === null;
  const toggle = async () => {
    const next = !enabled;
    store.getState().setFacts({ enabled: next });
    try {
      await setEnabled.mutateAsync({ id: flowId, enabled: next });
      toast(next ? `Enabled: version ${publishedVersion} now runs on new events` : "Disabled: new events no longer start this flow", "success");
      void queryClient.invalidateQueries({ queryKey: trpc.flows.list.queryKey() });
    } catch (e) {
      store.getState().setFacts({ enabled: !next });
      toast(`Could not change: ${errorMessage(e)}`, "error");
    }
  };
  return (
    <label className={`ed-switch${cannotEnable ? " is-disabled" : ""}`} title={cannotEnable ? "Publish a version first: enabled flows run their published version" : undefined}>
      <button
        type="button"
        role="switch"
        aria-checked={enabled}
        aria-label="Enabled"
        className="ed-switch-track"
        disabled={cannotEnable || setEnabled.isPending}
        onClick={() => void toggle()}
      >
        <span className="ed-switch-thumb" />
      </button>
      <span className="ed-switch-text" aria-hidden>
        {enabled ? "Enabled" : "Disabled"}
      </span>
    </label>
  );
}

function SaveStatus() {
  const dirty = useEditorStore(selectIsDirty);
  const { saving } = usePersistenceStatus();
  const text = saving ? "Saving…" : dirty ? "Unsaved changes" : "Saved";
  return (
    <span className={`ed-save-status${dirty && !saving ? " is-dirty" : ""}`} data-testid="save-status" role="status" aria-live="polite">
      <span className="ed-save-dot" aria-hidden />
      {text}
    </span>
  );
}

export function EditorHeader() {
  const publishedVersion = useEditorStore((s) => s.publishedVersion);
  const problemCount = useEditorStore((s) => s.problems.length);
  const dirty = useEditorStore(selectIsDirty);
  const setProblemsOpen = useEditorStore((s) => s.setProblemsOpen);
  const sidePanel = useEditorStore((s) => s.sidePanel);
  const setSidePanel = useEditorStore((s) => s.setSidePanel);
  const { save, publish, exportDocument } = useEditorCommands();
  const { saving, publishing } = usePersistenceStatus();
  // Viewers may look at flows but not change them; the server refuses their saves regardless.
  const canEdit = useHasRole("editor");
  const publishBlocked = problemCount > 0;
  const publishReason = publishBlocked
    ? `Fix ${problemCount} problem${problemCount === 1 ? "" : "s"} to publish`
    : dirty
      ? "Saves your changes, then publishes them as a new version"
      : "Publish the draft as a new version";

  return (
    <header className="ed-header">
      <Link
        href="/"
        className="btn btn-ghost btn-sm ed-back"
        aria-label="Back to flows"
        onClick={(event) => {
          if (dirty && !window.confirm("You have unsaved changes. Leave the editor anyway?")) event.preventDefault();
        }}
      >
        <ArrowLeft size={18} aria-hidden />
      </Link>
      <div className="ed-title">
        <FlowName />
        {publishedVersion !== null ? (
          <span className="badge badge-success" title={`Version ${publishedVersion} is the published version`}>
            v{publishedVersion} published
          </span>
        ) : (
          <span className="badge" title="This flow has not been published yet">
            Draft
          </span>
        )}
        {canEdit ? <EnabledToggle /> : <span className="badge" data-testid="read-only-badge" title="Viewers cannot change flows">Read-only</span>}
      </div>
      <div className="ed-header-spacer" />
      {canEdit && <SaveStatus />}
      {problemCount > 0 && (
        <button type="button" className="ed-problem-chip" onClick={() => setProblemsOpen(true)} aria-label={`${problemCount} problems: show them`}>
          <TriangleAlert size={14} aria-hidden /> {problemCount} problem{problemCount === 1 ? "" : "s"}
        </button>
      )}
      <button
        type="button"
        className={`btn btn-sm${sidePanel === "history" ? " is-pressed" : ""}`}
        aria-pressed={sidePanel === "history"}
        onClick={() => setSidePanel(sidePanel === "history" ? "inspector" : "history")}
        title="Published versions"
      >
        History
      </button>
      {canEdit && (
        <button
          type="button"
          className={`btn btn-sm${sidePanel === "test" ? " is-pressed" : ""}`}
          aria-pressed={sidePanel === "test"}
          onClick={() => setSidePanel(sidePanel === "test" ? "inspector" : "test")}
          title="Send a test event through the current draft"
        >
          Test event
        </button>
      )}
      <button type="button" className="btn btn-sm" onClick={exportDocument} data-testid="export-button" title="Download the flow document (.syncline.json)">
        Export
      </button>
      {canEdit && (<>
      <button
        type="button"
        className="btn btn-sm"
        onClick={() => void save()}
        disabled={saving || !dirty}
        data-testid="save-button"
        title="Save the draft (Ctrl+S)"
      >
        {saving ? "Saving…" : "Save"}
      </button>
      <span className="ed-publish-wrap" title={publishReason}>
        <button
          type="button"
          className="btn btn-sm btn-primary"
          onClick={() => void publish()}
          disabled={publishBlocked || publishing || saving}
          aria-describedby="publish-reason"
          data-testid="publish-button"
        >
          {publishing ? "Publishing…" : "Publish"}
        </button>
        <span id="publish-reason" className="ed-visually-hidden">
          {publishReason}
        </span>
      </span>
      </>)}
    </header>
  );
}
