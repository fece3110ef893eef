"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useToast } from "@/app/components/toast";
import { FormDialog } from "@/app/components/dialog";
import { FormField, TextField } from "@/app/components/form-field";
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
      <TextField id="credential-name" label="Name" placeholder="e.g. DeepL Pro" value={editing.name} onChange={(name) => setEditing({ ...editing, name })} error={errors.name} />
      <FormField id="credential-type" label="Type">
        {(control) => (
          <select
            {...control}
            className="select"
            value={editing.type}
            disabled={Boolean(editing.id)}
            onChange={(e) => setEditing({ ...editing, type: e.target.value as CredentialType, secret: {}, settings: {} })}
          >
            {credentialTypeIds.map((id) => <option key={id} value={id}>{credentialTypes[id].label}</option>)}
          </select>
        )}
      </FormField>
      {spec.fields.map((field) => {
        const isSet = editing.setFields.includes(field.name);
        return (
          <TextField
            key={field.name}
            id={`credential-secret-${field.name}`}
            label={field.label}
            className="input mono"
            type="password"
            autoComplete="new-password"
            placeholder={isSet ? "•••• set — leave blank to keep" : field.optional ? "Optional" : ""}
            value={editing.secret[field.name] ?? ""}
            onChange={(value) => setEditing({ ...editing, secret: { ...editing.secret, [field.name]: value } })}
            error={errors[`secret.${field.name}`]}
            help={isSet ? "•••• set. Type a new value to replace it." : undefined}
          />
        );
      })}
      {spec.settings.map((field) => (
        <TextField
          key={field.name}
          id={`credential-setting-${field.name}`}
          label={field.label}
          placeholder={field.placeholder}
          value={editing.settings[field.name] ?? ""}
          onChange={(value) => setEditing({ ...editing, settings: { ...editing.settings, [field.name]: value } })}
          error={errors[`settings.${field.name}`]}
        />
      ))}
      {save.isError && Object.keys(errors).length === 0 && <div className="alert alert-danger" role="alert">{errorMessage(save.error)}</div>}
    </FormDialog>
  );
}
