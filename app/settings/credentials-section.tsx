"use client";
import { KeyRound } from "lucide-react";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useToast } from "@/app/components/toast";
import { ConfirmDialog } from "@/app/components/dialog";
import { EmptyState, ErrorState, LoadingRows } from "@/app/components/states";
import { CredentialDialog, newCredentialDraft, type CredentialDraft } from "./credential-dialog";
import { credentialTypes, type CredentialType } from "@/server/credentials/credential-types";

function typeLabel(type: string): string {
  return (credentialTypes as Record<string, { label: string } | undefined>)[type]?.label ?? type;
}

function stringSettings(settings: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => typeof v === "string")) as Record<string, string>;
}

export function CredentialsSection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const credentials = useQuery(trpc.credentials.list.queryOptions());
  const [editing, setEditing] = useState<CredentialDraft | null>(null);
  const [deleting, setDeleting] = useState<{ id: string; name: string; channelCount: number } | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.credentials.list.queryKey() });

  const remove = useMutation(trpc.credentials.delete.mutationOptions({
    onSuccess: () => { setDeleting(null); toast("Credential deleted", "success"); void invalidate(); },
    onError: (e) => toast(errorMessage(e), "error"),
  }));

  return (
    <section className="card" aria-labelledby="credentials-heading">
      <div className="card-body" style={{ display: "flex", alignItems: "center", gap: 12, borderBottom: "1px solid var(--border)" }}>
        <div style={{ flex: 1 }}>
          <h2 id="credentials-heading">Credentials</h2>
          <p className="muted small" style={{ margin: "2px 0 0" }}>API keys, tokens and client secrets for translation providers and sales channels. Stored encrypted; never shown again once saved.</p>
        </div>
        <button className="btn btn-primary" onClick={() => setEditing(newCredentialDraft())}>Add credential</button>
      </div>
      {credentials.isPending ? (
        <LoadingRows rows={2} label="Loading credentials" />
      ) : credentials.isError ? (
        <div className="card-body"><ErrorState message={`Could not load credentials: ${credentials.error.message}`} onRetry={() => void credentials.refetch()} /></div>
      ) : credentials.data.length === 0 ? (
        <EmptyState icon={KeyRound} title="No credentials">Add the API key or token of a translation provider or sales channel; flows and channels refer to it by name.</EmptyState>
      ) : (
        <table className="table" aria-label="Credentials">
          <thead><tr><th>Name</th><th>Type</th><th>Secret</th><th>Used by</th><th>Updated</th><th /></tr></thead>
          <tbody>
            {credentials.data.map((credential) => (
              <tr key={credential.id} data-testid="credential-row">
                <td style={{ fontWeight: 600 }}>{credential.name}</td>
                <td>{typeLabel(credential.type)}</td>
                <td>
                  {!credential.readable ? (
                    <span className="badge badge-danger" title="It was encrypted with another SYNCLINE_SECRET_KEY; enter the secret again.">Unreadable with current key</span>
                  ) : credential.secretFields.length === 0 ? (
                    <span className="muted">Not set</span>
                  ) : (
                    <span className="small">
                      {credential.secretFields.map((field) => (
                        <span key={field} style={{ marginRight: 10 }}><span className="muted">{field}</span> •••• set</span>
                      ))}
                    </span>
                  )}
                </td>
                <td className="muted">{credential.channelCount === 0 ? "—" : `${credential.channelCount} channel${credential.channelCount === 1 ? "" : "s"}`}</td>
                <td className="muted">{new Date(credential.updatedAt).toLocaleString()}</td>
                <td style={{ whiteSpace: "nowrap", textAlign: "right" }}>
                  <button
                    className="btn btn-sm btn-ghost"
                    aria-label={`Edit ${credential.name}`}
                    onClick={() => {
                      setEditing({
                        id: credential.id,
                        name: credential.name,
                        type: credential.type as CredentialType,
                        secret: {},
                        settings: stringSettings(credential.settings),
                        setFields: credential.secretFields,
                      });
                    }}
                  >Edit</button>
                  <button className="btn btn-sm btn-ghost" style={{ color: "var(--danger)" }} aria-label={`Delete ${credential.name}`} onClick={() => setDeleting(credential)}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {editing && (
        <CredentialDialog key={editing.id ?? "new"} initial={editing} onSaved={() => setEditing(null)} onCancel={() => setEditing(null)} />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete credential?"
          message={
            <>
              “{deleting.name}” will be deleted for good.
              {deleting.channelCount > 0 && <> {deleting.channelCount} channel{deleting.channelCount === 1 ? "" : "s"} using it will have no credential until you pick another.</>}
            </>
          }
          confirmLabel="Delete"
          busy={remove.isPending}
          onCancel={() => setDeleting(null)}
          onConfirm={() => remove.mutate({ id: deleting.id })}
        />
      )}
    </section>
  );
}
