"use client";
import { EnabledSwitch } from "@/app/components/enabled-switch";
import { SearchX, Workflow } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useDeferredValue, useRef, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useToast } from "@/app/components/toast";
import { ConfirmDialog, FormDialog } from "@/app/components/dialog";
import { EmptyState, ErrorState, LoadingRows } from "@/app/components/states";
import { flowDocumentSchema } from "@/server/flows/flow-document";
import { NewFlowDialog } from "./new-flow-dialog";
import { FlowRunSummary } from "./flow-run-summary";

type FlowRow = { id: string; name: string; enabled: boolean; publishedVersion: number | null; problemCount: number; nodeCount: number; updatedAt: Date };

function relativeTime(date: Date): string {
  const seconds = Math.round((Date.now() - new Date(date).getTime()) / 1000);
  if (seconds < 60) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return new Date(date).toLocaleDateString();
}

export function FlowsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const toast = useToast();
  const [search, setSearch] = useState("");
  const deferredSearch = useDeferredValue(search.trim());
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<FlowRow | null>(null);
  const [deleting, setDeleting] = useState<FlowRow | null>(null);
  const importInput = useRef<HTMLInputElement>(null);

  const flows = useQuery(trpc.flows.list.queryOptions({ search: deferredSearch || undefined }));
  const flowIds = (flows.data ?? []).map((f) => f.id);
  const stats = useQuery({ ...trpc.runs.flowStats.queryOptions({ flowIds }), enabled: flowIds.length > 0, refetchInterval: 15_000 });
  const statsByFlow = new Map((stats.data ?? []).map((s) => [s.flowId, s]));
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.flows.list.queryKey() });
  const onError = (error: unknown) => toast(errorMessage(error), "error");

  const duplicate = useMutation(trpc.flows.duplicate.mutationOptions({ onSuccess: () => { toast("Flow duplicated", "success"); void invalidate(); }, onError }));
  const remove = useMutation(trpc.flows.delete.mutationOptions({ onSuccess: () => { toast("Flow deleted", "success"); setDeleting(null); void invalidate(); }, onError }));
  const setEnabled = useMutation(trpc.flows.setEnabled.mutationOptions({ onSuccess: () => void invalidate(), onError }));
  const rename = useMutation(trpc.flows.rename.mutationOptions({ onSuccess: () => { setRenaming(null); void invalidate(); }, onError }));
  const importFlow = useMutation(trpc.flows.import.mutationOptions({
    onSuccess: ({ id }) => { toast("Flow imported", "success"); router.push(`/flows/${id}`); },
    onError,
  }));

  async function onImportFile(file: File | undefined) {
    if (!file) return;
    let json: unknown;
    try {
      json = JSON.parse(await file.text());
    } catch {
      toast(`${file.name} is not a JSON file`, "error");
      return;
    }
    const parsed = flowDocumentSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      toast(`${file.name} is not a Syncline flow document: ${issue?.path.join(".") || "document"}: ${issue?.message}`, "error");
      return;
    }
    importFlow.mutate({ document: parsed.data });
  }

  const rows = flows.data ?? [];
  return (
    <div className="page">
      <div className="page-inner">
        <div className="page-header">
          <div>
            <h1>Flows</h1>
            <p className="muted" style={{ margin: "4px 0 0" }}>Event triggers wired to actions. Published versions run on the JetStream runtime.</p>
          </div>
          <span className="spacer" />
          <input
            className="input"
            style={{ width: 240 }}
            type="search"
            placeholder="Search flows"
            aria-label="Search flows"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
          <button className="btn" onClick={() => importInput.current?.click()} disabled={importFlow.isPending}>
            {importFlow.isPending ? "Importing…" : "Import"}
          </button>
          <input
            ref={importInput}
            data-testid="import-input"
            type="file"
            accept=".json,application/json"
            hidden
            onChange={(e) => { void onImportFile(e.target.files?.[0]); e.target.value = ""; }}
          />
          <button className="btn btn-primary" onClick={() => setCreating(true)}>New flow</button>
        </div>

        <div className="card">
          {flows.isPending ? (
            <LoadingRows rows={4} label="Loading flows" />
          ) : flows.isError ? (
            <div className="card-body"><ErrorState message={`Could not load flows: ${flows.error.message}`} onRetry={() => void flows.refetch()} /></div>
          ) : rows.length === 0 ? (
            deferredSearch ? (
              <EmptyState icon={SearchX} title={`No flow matches “${deferredSearch}”`}>Try another name, or clear the search.</EmptyState>
            ) : (
              <EmptyState
                icon={Workflow}
                title="No flows yet"
                action={<button className="btn btn-primary" onClick={() => setCreating(true)}>Create your first flow</button>}
              >
                A flow reacts to an event — a stock change, a new product, an order — and runs actions: translate,
                resize images, sync to your sales channels. Start blank or from a template.
              </EmptyState>
            )
          ) : (
            <table className="table">
              <thead>
                <tr><th>Name</th><th>Status</th><th>Published</th><th>Activity</th><th>Last edit</th><th style={{ width: 1 }}><span className="sr-only">Actions</span></th></tr>
              </thead>
              <tbody>
                {rows.map((flow) => (
                  <tr key={flow.id} data-testid={`flow-row-${flow.id}`}>
                    <td>
                      <Link href={`/flows/${flow.id}`} style={{ fontWeight: 600 }}>{flow.name}</Link>
                      <div className="muted small">
                        {flow.nodeCount} node{flow.nodeCount === 1 ? "" : "s"}
                        {flow.problemCount > 0 && <> · <span style={{ color: "var(--warning)" }}>{flow.problemCount} problem{flow.problemCount === 1 ? "" : "s"}</span></>}
                      </div>
                    </td>
                    <td>
                      <EnabledSwitch
                        label={`Enable ${flow.name}`}
                        checked={flow.enabled}
                        disabled={setEnabled.isPending}
                        title={flow.publishedVersion === null && !flow.enabled ? "Publish a version first: enabled flows run their published version" : undefined}
                        onChange={(next) => setEnabled.mutate({ id: flow.id, enabled: next })}
                      />
                    </td>
                    <td>{flow.publishedVersion ? <span className="badge badge-accent">v{flow.publishedVersion}</span> : <span className="muted">Draft only</span>}</td>
                    <td><FlowRunSummary stats={statsByFlow.get(flow.id)} relativeTime={relativeTime} /></td>
                    <td className="muted" title={new Date(flow.updatedAt).toLocaleString()}>{relativeTime(flow.updatedAt)}</td>
                    <td style={{ whiteSpace: "nowrap" }}>
                      <button className="btn btn-sm btn-ghost" onClick={() => setRenaming(flow)} aria-label={`Rename ${flow.name}`}>Rename</button>
                      <button className="btn btn-sm btn-ghost" onClick={() => duplicate.mutate({ id: flow.id })} aria-label={`Duplicate ${flow.name}`}>Duplicate</button>
                      <button className="btn btn-sm btn-ghost" style={{ color: "var(--danger)" }} onClick={() => setDeleting(flow)} aria-label={`Delete ${flow.name}`}>Delete</button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>

      {creating && <NewFlowDialog onClose={() => setCreating(false)} />}
      {renaming && (
        <RenameDialog flow={renaming} busy={rename.isPending} onCancel={() => setRenaming(null)} onRename={(name) => rename.mutate({ id: renaming.id, name })} />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete flow?"
          message={<>“{deleting.name}” and all its published versions will be deleted. This cannot be undone.</>}
          confirmLabel="Delete flow"
          busy={remove.isPending}
          onCancel={() => setDeleting(null)}
          onConfirm={() => remove.mutate({ id: deleting.id })}
        />
      )}
    </div>
  );
}

function RenameDialog({ flow, busy, onCancel, onRename }: { flow: FlowRow; busy: boolean; onCancel: () => void; onRename: (name: string) => void }) {
  const [name, setName] = useState(flow.name);
  const invalid = name.trim().length === 0;
  return (
    <FormDialog title="Rename flow" onCancel={onCancel} onSubmit={() => !invalid && onRename(name.trim())} busy={busy} submitLabel="Rename">
      <div className="field">
        <label htmlFor="rename-flow">Name</label>
        <input id="rename-flow" className="input" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={invalid} />
        {invalid && <span className="error">Give the flow a name</span>}
      </div>
    </FormDialog>
  );
}
