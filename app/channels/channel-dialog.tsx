"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useToast } from "@/app/components/toast";
import { FormDialog } from "@/app/components/dialog";
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

  return (
    <FormDialog title={editing.id ? `Edit channel “${editing.name}”` : "New channel"} submitLabel={editing.id ? "Save" : "Create"} busy={save.isPending} onCancel={onCancel} onSubmit={submit}>
      <div className="field">
        <label htmlFor="channel-name">Name</label>
        <input id="channel-name" className="input" placeholder="e.g. Webshop NL" value={editing.name} onChange={(e) => setEditing({ ...editing, name: e.target.value })} aria-invalid={Boolean(errors.name)} />
        {errors.name && <span className="error">{errors.name}</span>}
      </div>
      <div className="field">
        <label htmlFor="channel-type">Type</label>
        <select id="channel-type" className="select" value={editing.type} onChange={(e) => setEditing({ ...editing, type: e.target.value as ChannelType, credentialId: "", settings: {} })}>
          {channelTypeIds.map((id) => <option key={id} value={id}>{channelTypes[id].label}</option>)}
        </select>
      </div>
      <div className="field">
        <label htmlFor="channel-credential">Credential</label>
        <select id="channel-credential" className="select" value={editing.credentialId} onChange={(e) => setEditing({ ...editing, credentialId: e.target.value })} aria-invalid={Boolean(errors.credentialId)}>
          <option value="">None</option>
          {usable.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
        </select>
        {errors.credentialId ? (
          <span className="error">{errors.credentialId}</span>
        ) : (
          <span className="help">
            {credentials.isPending ? "Loading credentials…" : usable.length === 0 ? <>No {spec.credentialType} credential yet: add one in <Link href="/settings">Settings</Link>.</> : `A ${spec.credentialType} credential.`}
          </span>
        )}
      </div>
      {[...spec.fields, { name: "language", label: "Language", placeholder: "e.g. de or en-GB", optional: true }, { name: "currency", label: "Currency", placeholder: "e.g. EUR", optional: true }].map((field) => {
        const error = errors[`settings.${field.name}`];
        return (
          <div className="field" key={field.name}>
            <label htmlFor={`channel-setting-${field.name}`}>{field.label}{field.optional ? <span className="muted"> (optional)</span> : null}</label>
            <input
              id={`channel-setting-${field.name}`}
              className="input"
              placeholder={field.placeholder}
              value={editing.settings[field.name] ?? ""}
              onChange={(e) => setEditing({ ...editing, settings: { ...editing.settings, [field.name]: e.target.value } })}
              aria-invalid={Boolean(error)}
            />
            {error && <span className="error">{error}</span>}
          </div>
        );
      })}
      {reentry && credential && (
        <fieldset className="field" style={{ border: "1px solid var(--border)", borderRadius: 8, padding: 12 }} data-testid="secret-reentry">
          <legend className="small" style={{ padding: "0 4px" }}>Enter the secret of “{credential.name}” again</legend>
          <p className="help" style={{ margin: "0 0 8px" }}>
            You changed {hostLabels.join(" and ")}: the saved secret is only sent to a new host by someone who knows it.
          </p>
          {reentry.fields.map((field) => {
            const error = errors[`credentialSecret.${field.name}`];
            return (
              <div className="field" key={field.name}>
                <label htmlFor={`channel-secret-${field.name}`}>{field.label}</label>
                <input
                  id={`channel-secret-${field.name}`}
                  className="input"
                  type="password"
                  autoComplete="off"
                  value={secret[field.name] ?? ""}
                  onChange={(e) => setSecret({ ...secret, [field.name]: e.target.value })}
                  aria-invalid={Boolean(error)}
                />
                {error && <span className="error">{error}</span>}
              </div>
            );
          })}
        </fieldset>
      )}
      <div className="field">
        <label htmlFor="channel-mapping">Field mapping <span className="muted">(optional)</span></label>
        <textarea id="channel-mapping" className="textarea mono" rows={3} style={{ height: "auto", padding: 8 }} placeholder={"name = title\ndescription = body_html"} value={editing.mapping} onChange={(e) => setEditing({ ...editing, mapping: e.target.value })} />
        <span className="help">One <code>syncline field = channel field</code> per line.</span>
      </div>
      {save.isError && Object.keys(errors).length === 0 && <div className="alert alert-danger" role="alert">{errorMessage(save.error)}</div>}
    </FormDialog>
  );
}
