"use client";
import { useDeferredValue, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useToast } from "@/app/components/toast";
import { FormDialog } from "@/app/components/dialog";
import { FormField, TextField } from "@/app/components/form-field";
import { fieldErrors } from "./form-errors";
import { channelTypeIds, channelTypes, type ChannelType } from "@/server/channels/channel-types";
import { credentialTypes, type CredentialType } from "@/server/credentials/credential-types";
import { changedHostSettings, hostSettingLabel } from "@/server/credentials/host-settings";

// The new/edit channel form, used on the Channels page and in place from the flow editor's
// channel picker (which then selects the channel it made).

export interface ChannelDraft {
  id?: string;
  name: string;
  type: ChannelType;
  credentialId: string;
  settings: Record<string, string>;
  /** Field mapping as "ours = theirs" lines. */
  mapping: string;
  /** The saved settings, to see whether a host-bearing one (URL, shop domain…) changed. */
  savedSettings?: Record<string, string>;
}

export const newChannelDraft = (): ChannelDraft => ({ name: "", type: "webhook", credentialId: "", settings: {}, mapping: "" });

function parseMapping(text: string): Record<string, string> | undefined {
  const entries = text
    .split("\n")
    .map((line) => line.split("=").map((part) => part.trim()))
    .filter((parts) => parts.length === 2 && parts[0] && parts[1]) as [string, string][];
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

export function ChannelDialog({ initial, onSaved, onCancel }: {
  initial: ChannelDraft;
  onSaved: (channel: { id: string; name: string }) => void;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const credentials = useQuery(trpc.credentials.list.queryOptions());
  const [editing, setEditing] = useState<ChannelDraft>(initial);
  /** The credential's secret entered again, asked for when a host-bearing setting changed. */
  const [secret, setSecret] = useState<Record<string, string>>({});
  // The list is fresh before the dialog closes, so editing again at once shows what was saved.
  const onDone = (verb: string) => async (channel: { id: string; name: string }) => {
    await queryClient.invalidateQueries({ queryKey: trpc.channels.list.queryKey() });
    toast(`Channel ${verb}`, "success");
    onSaved(channel);
  };
  const create = useMutation(trpc.channels.create.mutationOptions({ onSuccess: onDone("created") }));
  const update = useMutation(trpc.channels.update.mutationOptions({ onSuccess: onDone("saved") }));
  const save = editing.id ? update : create;
  const errors = fieldErrors(save.error);

  const submit = () => {
    const settings: Record<string, unknown> = Object.fromEntries(Object.entries(editing.settings).filter(([, v]) => v.trim() !== ""));
    const mapping = parseMapping(editing.mapping);
    if (mapping) settings.fieldMapping = mapping;
    const input = { name: editing.name, type: editing.type, credentialId: editing.credentialId || null, settings };
    if (editing.id) update.mutate({ id: editing.id, ...input, ...(reentry ? { credentialSecret: secret } : {}) });
    else create.mutate(input);
  };

  const spec = channelTypes[editing.type];
  const usable = (credentials.data ?? []).filter((c) => c.type === spec.credentialType);
  // Sending the saved secret to another host needs the secret itself (the server refuses otherwise).
  const changedHosts = editing.id && editing.credentialId && editing.savedSettings ? changedHostSettings(editing.savedSettings, editing.settings) : [];
  const credential = (credentials.data ?? []).find((c) => c.id === editing.credentialId);
  const reentry = changedHosts.length > 0 && credential ? credentialTypes[credential.type as CredentialType] : undefined;
  const hostLabels = changedHosts.map((name) => spec.fields.find((f) => f.name === name)?.label ?? hostSettingLabel(name));
  // URLs runs will refuse (private or loopback, not allowed by the operator): warned as they are typed (docs/decisions/0029).
  const typed = useDeferredValue(JSON.stringify({ type: editing.type, settings: Object.fromEntries(Object.entries(editing.settings).filter(([, v]) => v.trim() !== "")) }));
  const typedInput = JSON.parse(typed) as { type: ChannelType; settings: Record<string, string> };
  const addressWarnings = useQuery({
    ...trpc.channels.addressWarnings.queryOptions(typedInput),
    enabled: Object.keys(typedInput.settings).length > 0,
    staleTime: 30_000,
  });
  const warningOf = (name: string) => (addressWarnings.data ?? []).find((w) => w.field === name && typedInput.settings[name] === editing.settings[name]?.trim())?.message;

  return (
    <FormDialog title={editing.id ? `Edit channel “${editing.name}”` : "New channel"} submitLabel={editing.id ? "Save" : "Create"} busy={save.isPending} onCancel={onCancel} onSubmit={submit}>
      <TextField id="channel-name" label="Name" placeholder="e.g. Webshop NL" value={editing.name} onChange={(name) => setEditing({ ...editing, name })} error={errors.name} />
      <FormField id="channel-type" label="Type">
        {(control) => (
          <select {...control} className="select" value={editing.type} onChange={(e) => setEditing({ ...editing, type: e.target.value as ChannelType, credentialId: "", settings: {} })}>
            {channelTypeIds.map((id) => <option key={id} value={id}>{channelTypes[id].label}</option>)}
          </select>
        )}
      </FormField>
      <FormField
        id="channel-credential"
        label="Credential"
        error={errors.credentialId}
        help={credentials.isPending ? "Loading credentials…" : usable.length === 0 ? <>No {spec.credentialType} credential yet: add one in <Link href="/settings">Settings</Link>.</> : `A ${spec.credentialType} credential.`}
      >
        {(control) => (
          <select {...control} className="select" value={editing.credentialId} onChange={(e) => setEditing({ ...editing, credentialId: e.target.value })}>
            <option value="">None</option>
            {usable.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
        )}
      </FormField>
      {[...spec.fields, { name: "language", label: "Language", placeholder: "e.g. de or en-GB", optional: true }, { name: "currency", label: "Currency", placeholder: "e.g. EUR", optional: true }].map((field) => (
        <TextField
          key={field.name}
          id={`channel-setting-${field.name}`}
          label={field.label}
          optional={field.optional}
          placeholder={field.placeholder}
          value={editing.settings[field.name] ?? ""}
          onChange={(value) => setEditing({ ...editing, settings: { ...editing.settings, [field.name]: value } })}
          error={errors[`settings.${field.name}`]}
          warning={warningOf(field.name)}
        />
      ))}
      {reentry && credential && (
        <fieldset className="field" style={{ border: "1px solid var(--border)", borderRadius: 8, padding: 12 }} data-testid="secret-reentry">
          <legend className="small" style={{ padding: "0 4px" }}>Enter the secret of “{credential.name}” again</legend>
          <p className="help" style={{ margin: "0 0 8px" }}>
            You changed {hostLabels.join(" and ")}: the saved secret is only sent to a new host by someone who knows it.
          </p>
          {reentry.fields.map((field) => (
            <TextField
              key={field.name}
              id={`channel-secret-${field.name}`}
              label={field.label}
              type="password"
              autoComplete="off"
              value={secret[field.name] ?? ""}
              onChange={(value) => setSecret({ ...secret, [field.name]: value })}
              error={errors[`credentialSecret.${field.name}`]}
            />
          ))}
        </fieldset>
      )}
      <FormField id="channel-mapping" label="Field mapping" optional help={<>One <code>syncline field = channel field</code> per line.</>}>
        {(control) => (
          <textarea {...control} className="textarea mono" rows={3} style={{ height: "auto", padding: 8 }} placeholder={"name = title\ndescription = body_html"} value={editing.mapping} onChange={(e) => setEditing({ ...editing, mapping: e.target.value })} />
        )}
      </FormField>
      {save.isError && Object.keys(errors).length === 0 && <div className="alert alert-danger" role="alert">{errorMessage(save.error)}</div>}
    </FormDialog>
  );
}
