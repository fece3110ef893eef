"use client";
import { KeyRound } from "lucide-react";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useToast } from "@/app/components/toast";
import { ConfirmDialog, FormDialog } from "@/app/components/dialog";
import { EmptyState, ErrorState, LoadingRows } from "@/app/components/states";
import { fieldErrors } from "@/app/channels/form-errors";
import { credentialTypeIds, credentialTypes, type CredentialType } from "@/server/credentials/credential-types";

interface Editing {
  /** undefined: creating */
  id?: string;
  name: string;
  type: CredentialType;
  secret: Record<string, string>;
  settings: Record<string, string>;
  /** Secret fields already stored (edit only). */
  setFields: string[];
}

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
  const [editing, setEditing] = useState<Editing | null>(null);
  const [deleting, setDeleting] = useState<{ id: string; name: string; channelCount: number } | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.credentials.list.queryKey() });

  const onSaved = (verb: string) => () => {
    setEditing(null);
    toast(`Credential ${verb}`, "success");
    void invalidate();
  };
  const create = useMutation(trpc.credentials.create.mutationOptions({ onSuccess: onSaved("created") }));
  const update = useMutation(trpc.credentials.update.mutationOptions({ onSuccess: onSaved("saved") }));
  const remove = useMutation(trpc.credentials.delete.mutationOptions({
    onSuccess: () => { setDeleting(null); toast("Credential deleted", "success"); void invalidate(); },
    onError: (e) => toast(errorMessage(e), "error"),
  }));
  const save = editing?.id ? update : create;
  const errors = fieldErrors(save.error);

  const startCreate = () => {
    create.reset();
    setEditing({ name: "", type: "deepl", secret: {}, settings: {}, setFields: [] });
  };
  const submit = () => {
    if (!editing) return;
    // Blank secret inputs mean "keep" when editing, "not set" when creating.
    const secret = Object.fromEntries(Object.entries(editing.secret).filter(([, v]) => v !== ""));
    if (editing.id) update.mutate({ id: editing.id, name: editing.name, secret, settings: editing.settings });
    else create.mutate({ name: editing.name, type: editing.type, secret, settings: editing.settings });
  };

  const spec = editing ? credentialTypes[editing.type] : undefined;

  return (
    <section className="card" aria-labelledby="credentials-heading">
      <div className="card-body" style={{ display: "flex", alignItems: "center", gap: 12, borderBottom: "1px solid var(--border)" }}>
        <div style={{ flex: 1 }}>
          <h2 id="credentials-heading">Credentials</h2>
          <p className="muted small" style={{ margin: "2px 0 0" }}>API keys, tokens and client secrets for translation providers and sales channels. Stored encrypted; never shown again once saved.</p>
        </div>
        <button className="btn btn-primary" onClick={startCreate}>Add credential</button>
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
                      update.reset();
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

      {editing && spec && (
        <FormDialog
          title={editing.id ? `Edit credential “${editing.name}”` : "Add credential"}
          submitLabel={editing.id ? "Save" : "Add"}
          busy={save.isPending}
          onCancel={() => setEditing(null)}
          onSubmit={submit}
        >
          <div className="field">
            <label htmlFor="credential-name">Name</label>
            <input id="credential-name" className="input" placeholder="e.g. DeepL Pro" value={editing.name} onChange={(e) => setEditing({ ...editing, name: e.target.value })} aria-invalid={Boolean(errors.name)} />
            {errors.name && <span className="error">{errors.name}</span>}
          </div>
          <div className="field">
            <label htmlFor="credential-type">Type</label>
            <select
              id="credential-type"
              className="select"
              value={editing.type}
              disabled={Boolean(editing.id)}
              onChange={(e) => setEditing({ ...editing, type: e.target.value as CredentialType, secret: {}, settings: {} })}
            >
              {credentialTypeIds.map((id) => <option key={id} value={id}>{credentialTypes[id].label}</option>)}
            </select>
          </div>
          {spec.fields.map((field) => {
            const isSet = editing.setFields.includes(field.name);
            const error = errors[`secret.${field.name}`];
            return (
              <div className="field" key={field.name}>
                <label htmlFor={`credential-secret-${field.name}`}>{field.label}</label>
                <input
                  id={`credential-secret-${field.name}`}
                  className="input mono"
                  type="password"
                  autoComplete="new-password"
                  placeholder={isSet ? "•••• set — leave blank to keep" : field.optional ? "Optional" : ""}
                  value={editing.secret[field.name] ?? ""}
                  onChange={(e) => setEditing({ ...editing, secret: { ...editing.secret, [field.name]: e.target.value } })}
                  aria-invalid={Boolean(error)}
                />
                {error ? <span className="error">{error}</span> : isSet ? <span className="help">•••• set. Type a new value to replace it.</span> : null}
              </div>
            );
          })}
          {spec.settings.map((field) => (
            <div className="field" key={field.name}>
              <label htmlFor={`credential-setting-${field.name}`}>{field.label}</label>
              <input
                id={`credential-setting-${field.name}`}
                className="input"
                placeholder={field.placeholder}
                value={editing.settings[field.name] ?? ""}
                onChange={(e) => setEditing({ ...editing, settings: { ...editing.settings, [field.name]: e.target.value } })}
              />
            </div>
          ))}
          {save.isError && Object.keys(errors).length === 0 && <div className="alert alert-danger" role="alert">{errorMessage(save.error)}</div>}
        </FormDialog>
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
