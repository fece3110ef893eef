"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useToast } from "@/app/components/toast";
import { FormDialog } from "@/app/components/dialog";
import { fieldErrors } from "@/app/channels/form-errors";
import { credentialTypeIds, credentialTypes, type CredentialType } from "@/server/credentials/credential-types";

// The add/edit credential form, used in Settings and in place from the flow editor's credential
// picker (which then selects the credential it made).

export interface CredentialDraft {
  /** undefined: creating */
  id?: string;
  name: string;
  type: CredentialType;
  secret: Record<string, string>;
  settings: Record<string, string>;
  /** Secret fields already stored (edit only). */
  setFields: string[];
}

export const newCredentialDraft = (type: CredentialType = "deepl"): CredentialDraft => ({ name: "", type, secret: {}, settings: {}, setFields: [] });

export function CredentialDialog({ initial, onSaved, onCancel }: {
  initial: CredentialDraft;
  onSaved: (credential: { id: string; name: string }) => void;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [editing, setEditing] = useState<CredentialDraft>(initial);
  const onDone = (verb: string) => (credential: { id: string; name: string }) => {
    toast(`Credential ${verb}`, "success");
    void queryClient.invalidateQueries({ queryKey: trpc.credentials.list.queryKey() });
    onSaved(credential);
  };
  const create = useMutation(trpc.credentials.create.mutationOptions({ onSuccess: onDone("created") }));
  const update = useMutation(trpc.credentials.update.mutationOptions({ onSuccess: onDone("saved") }));
  const save = editing.id ? update : create;
  const errors = fieldErrors(save.error);

  const submit = () => {
    // Blank secret inputs mean "keep" when editing, "not set" when creating.
    const secret = Object.fromEntries(Object.entries(editing.secret).filter(([, v]) => v !== ""));
    if (editing.id) update.mutate({ id: editing.id, name: editing.name, secret, settings: editing.settings });
    else create.mutate({ name: editing.name, type: editing.type, secret, settings: editing.settings });
  };

  const spec = credentialTypes[editing.type];

  return (
    <FormDialog
      title={editing.id ? `Edit credential “${editing.name}”` : "Add credential"}
      submitLabel={editing.id ? "Save" : "Add"}
      busy={save.isPending}
      onCancel={onCancel}
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
  );
}
