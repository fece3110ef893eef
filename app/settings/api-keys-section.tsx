"use client";
import { KeyRound } from "lucide-react";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useToast } from "@/app/components/toast";
import { ConfirmDialog, Dialog, FormDialog } from "@/app/components/dialog";
import { EmptyState, ErrorState, LoadingRows } from "@/app/components/states";

export function ApiKeysSection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState("");
  const [scope, setScope] = useState<"events:write" | "read" | "full">("events:write");
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });

  const create = useMutation(trpc.apiKeys.create.mutationOptions({
    onSuccess: (key) => { setCreating(false); setName(""); setCreated({ name: key.name, key: key.key }); void invalidate(); },
  }));
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({
    onSuccess: () => { setRevoking(null); toast("API key revoked", "success"); void invalidate(); },
    onError: (e) => toast(errorMessage(e), "error"),
  }));

  return (
    <section className="card" aria-labelledby="api-keys-heading">
      <div className="card-body" style={{ display: "flex", alignItems: "center", gap: 12, borderBottom: "1px solid var(--border)" }}>
        <div style={{ flex: 1 }}>
          <h2 id="api-keys-heading">API keys</h2>
          <p className="muted small" style={{ margin: "2px 0 0" }}>Send as <code>Authorization: Bearer &lt;key&gt;</code>. A key is shown once; only a hash is stored.</p>
        </div>
        <button className="btn btn-primary" onClick={() => setCreating(true)}>Create API key</button>
      </div>
      {keys.isPending ? (
        <LoadingRows rows={2} label="Loading API keys" />
      ) : keys.isError ? (
        <div className="card-body"><ErrorState message={`Could not load API keys: ${keys.error.message}`} onRetry={() => void keys.refetch()} /></div>
      ) : keys.data.length === 0 ? (
        <EmptyState icon={KeyRound} title="No API keys">Create one to send events or import flows from scripts and other systems.</EmptyState>
      ) : (
        <table className="table">
          <thead><tr><th>Name</th><th>Key</th><th>Scope</th><th>Created</th><th>Last used</th><th /></tr></thead>
          <tbody>
            {keys.data.map((key) => (
              <tr key={key.id}>
                <td style={{ fontWeight: 600 }}>{key.name}</td>
                <td>{key.prefix ? <code>{key.prefix}…</code> : <span className="muted">set by BOOTSTRAP_API_KEY</span>}</td>
                <td><code>{key.scope}</code></td>
                <td className="muted">{new Date(key.createdAt).toLocaleString()}</td>
                <td className="muted">{key.lastUsedAt ? new Date(key.lastUsedAt).toLocaleString() : "Never"}</td>
                <td><button className="btn btn-sm btn-ghost" style={{ color: "var(--danger)" }} onClick={() => setRevoking(key)} aria-label={`Revoke ${key.name}`}>Revoke</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {creating && (
        <FormDialog title="Create API key" submitLabel="Create" busy={create.isPending} onCancel={() => setCreating(false)} onSubmit={() => create.mutate({ name, scope })}>
          <div className="field">
            <label htmlFor="api-key-name">Name</label>
            <input id="api-key-name" className="input" placeholder="e.g. ERP stock feed" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={create.isError} />
            {create.isError && <span className="error">{errorMessage(create.error)}</span>}
          </div>
          <div className="field">
            <label htmlFor="api-key-scope">Scope</label>
            <select id="api-key-scope" className="select" value={scope} onChange={(e) => setScope(e.target.value as typeof scope)} aria-describedby="api-key-scope-help">
              <option value="events:write">events:write — only send events (POST /api/events)</option>
              <option value="read">read — read runs, dead letters, flows and health</option>
              <option value="full">full — everything the HTTP API offers</option>
            </select>
            <span className="help" id="api-key-scope-help">Give each system the least it needs.</span>
          </div>
        </FormDialog>
      )}
      {created && (
        <Dialog title="Copy your new API key" onClose={() => setCreated(null)} actions={<button className="btn btn-primary" onClick={() => setCreated(null)}>Done</button>}>
          <p style={{ margin: 0 }}>This is the only time “{created.name}” is shown. Store it somewhere safe.</p>
          <div style={{ display: "flex", gap: 8 }}>
            <input className="input mono" readOnly value={created.key} aria-label="New API key" onFocus={(e) => e.target.select()} data-testid="new-api-key" />
            <button className="btn" onClick={() => { void navigator.clipboard?.writeText(created.key); toast("Copied", "success"); }}>Copy</button>
          </div>
        </Dialog>
      )}
      {revoking && (
        <ConfirmDialog
          title="Revoke API key?"
          message={<>Anything using “{revoking.name}” will get 401 from now on.</>}
          confirmLabel="Revoke"
          busy={revoke.isPending}
          onCancel={() => setRevoking(null)}
          onConfirm={() => revoke.mutate({ id: revoking.id })}
        />
      )}
    </section>
  );
}
