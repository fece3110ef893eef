"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useToast } from "@/app/components/toast";
import { ConfirmDialog, FormDialog } from "@/app/components/dialog";
import { EmptyState, ErrorState, LoadingRows } from "@/app/components/states";
import { fieldErrors } from "./form-errors";
import { channelTypeIds, channelTypes, type ChannelType } from "@/server/channels/channel-types";
import { credentialTypes, type CredentialType } from "@/server/credentials/credential-types";
import { changedHostSettings, hostSettingLabel } from "@/server/credentials/host-settings";

interface Editing {
  id?: string;
  name: string;
  type: ChannelType;
  credentialId: string;
  settings: Record<string, string>;
  /** Field mapping as "ours = theirs" lines. */
  mapping: string;
  /** The saved settings, to see whether a host-bearing one (URL, shop domain…) changed. */
  savedSettings?: Record<string, string>;
  /** The credential's secret entered again, asked for when a host-bearing setting changed. */
  secret: Record<string, string>;
}

interface Health {
  status: "unknown" | "healthy" | "holding" | "error";
  lastSuccessAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  downSince: Date | null;
  heldEvents: number;
}

const when = (d: Date | null) => (d ? new Date(d).toLocaleString() : "");

function HealthBadge({ health }: { health: Health }) {
  if (health.status === "holding") {
    return (
      <span className="badge badge-danger" title={health.lastError ?? undefined}>
        Down since {when(health.downSince)} (holding updates{health.heldEvents > 0 ? `: ${health.heldEvents}` : ""})
      </span>
    );
  }
  if (health.status === "error") return <span className="badge badge-warning" title={health.lastError ?? undefined}>Last call failed</span>;
  if (health.status === "healthy") return <span className="badge badge-success">Healthy</span>;
  return <span className="badge">No calls yet</span>;
}

function parseMapping(text: string): Record<string, string> | undefined {
  const entries = text
    .split("\n")
    .map((line) => line.split("=").map((part) => part.trim()))
    .filter((parts) => parts.length === 2 && parts[0] && parts[1]) as [string, string][];
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function formatMapping(value: unknown): string {
  if (!value || typeof value !== "object") return "";
  return Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k} = ${String(v)}`).join("\n");
}

export function ChannelsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const channels = useQuery({ ...trpc.channels.list.queryOptions(), refetchInterval: 10_000 });
  const credentials = useQuery(trpc.credentials.list.queryOptions());
  const [editing, setEditing] = useState<Editing | null>(null);
  const [deleting, setDeleting] = useState<{ id: string; name: string } | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.channels.list.queryKey() });

  // The list is fresh before the dialog closes, so editing again at once shows what was saved.
  const onSaved = (verb: string) => async () => { await invalidate(); setEditing(null); toast(`Channel ${verb}`, "success"); };
  const create = useMutation(trpc.channels.create.mutationOptions({ onSuccess: onSaved("created") }));
  const update = useMutation(trpc.channels.update.mutationOptions({ onSuccess: onSaved("saved") }));
  const remove = useMutation(trpc.channels.delete.mutationOptions({
    onSuccess: () => { setDeleting(null); toast("Channel deleted", "success"); void invalidate(); },
    onError: (e) => toast(errorMessage(e), "error"),
  }));
  const save = editing?.id ? update : create;
  const errors = fieldErrors(save.error);

  const submit = () => {
    if (!editing) return;
    const settings: Record<string, unknown> = Object.fromEntries(Object.entries(editing.settings).filter(([, v]) => v.trim() !== ""));
    const mapping = parseMapping(editing.mapping);
    if (mapping) settings.fieldMapping = mapping;
    const input = { name: editing.name, type: editing.type, credentialId: editing.credentialId || null, settings };
    if (editing.id) update.mutate({ id: editing.id, ...input, ...(reentry ? { credentialSecret: editing.secret } : {}) });
    else create.mutate(input);
  };

  const spec = editing ? channelTypes[editing.type] : undefined;
  const usable = (credentials.data ?? []).filter((c) => !spec || c.type === spec.credentialType);
  // Sending the saved secret to another host needs the secret itself (the server refuses otherwise).
  const changedHosts = editing?.id && editing.credentialId && editing.savedSettings ? changedHostSettings(editing.savedSettings, editing.settings) : [];
  const credential = (credentials.data ?? []).find((c) => c.id === editing?.credentialId);
  const reentry = changedHosts.length > 0 && credential ? credentialTypes[credential.type as CredentialType] : undefined;
  const hostLabels = changedHosts.map((name) => spec?.fields.find((f) => f.name === name)?.label ?? hostSettingLabel(name));

  return (
    <div className="page">
      <div className="page-inner">
        <div style={{ display: "flex", alignItems: "center", gap: 12 }}>
          <div style={{ flex: 1 }}>
            <h1>Channels</h1>
            <p className="muted" style={{ margin: "4px 0 0" }}>Webshops, marketplaces and webhook receivers that flows sync to, and how they are doing.</p>
          </div>
          <button
            className="btn btn-primary"
            onClick={() => { create.reset(); setEditing({ name: "", type: "webhook", credentialId: "", settings: {}, mapping: "", secret: {} }); }}
          >New channel</button>
        </div>
        <section className="card">
          {channels.isPending ? (
            <LoadingRows rows={3} label="Loading channels" />
          ) : channels.isError ? (
            <div className="card-body"><ErrorState message={`Could not load channels: ${channels.error.message}`} onRetry={() => void channels.refetch()} /></div>
          ) : channels.data.length === 0 ? (
            <EmptyState icon="🛒" title="No channels yet">Add a webshop, marketplace or webhook so flows can sync products, prices and stock to it.</EmptyState>
          ) : (
            <table className="table" aria-label="Channels">
              <thead><tr><th>Name</th><th>Type</th><th>Credential</th><th>Health</th><th>Last success</th><th>Last error</th><th /></tr></thead>
              <tbody>
                {channels.data.map((channel) => (
                  <tr key={channel.id} data-testid="channel-row">
                    <td style={{ fontWeight: 600 }}>{channel.name}</td>
                    <td>{channelTypes[channel.type as ChannelType]?.label ?? channel.type}</td>
                    <td>{channel.credential ? channel.credential.name : <span className="muted">None</span>}</td>
                    <td data-testid="channel-health"><HealthBadge health={channel.health} /></td>
                    <td className="muted">{when(channel.health.lastSuccessAt) || "—"}</td>
                    <td className="small" style={{ maxWidth: 320 }}>
                      {channel.health.lastError ? (
                        <><span style={{ color: "var(--danger)" }}>{channel.health.lastError}</span><br /><span className="muted">{when(channel.health.lastErrorAt)}</span></>
                      ) : <span className="muted">—</span>}
                    </td>
                    <td style={{ whiteSpace: "nowrap", textAlign: "right" }}>
                      <button
                        className="btn btn-sm btn-ghost"
                        aria-label={`Edit ${channel.name}`}
                        onClick={() => {
                          update.reset();
                          const { fieldMapping, ...rest } = channel.settings;
                          setEditing({
                            id: channel.id,
                            name: channel.name,
                            type: channel.type as ChannelType,
                            credentialId: channel.credentialId ?? "",
                            settings: Object.fromEntries(Object.entries(rest).filter(([, v]) => typeof v === "string")) as Record<string, string>,
                            mapping: formatMapping(fieldMapping),
                            savedSettings: Object.fromEntries(Object.entries(rest).filter(([, v]) => typeof v === "string")) as Record<string, string>,
                            secret: {},
                          });
                        }}
                      >Edit</button>
                      <button className="btn btn-sm btn-ghost" style={{ color: "var(--danger)" }} aria-label={`Delete ${channel.name}`} onClick={() => setDeleting(channel)}>Delete</button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>

      {editing && spec && (
        <FormDialog title={editing.id ? `Edit channel “${editing.name}”` : "New channel"} submitLabel={editing.id ? "Save" : "Create"} busy={save.isPending} onCancel={() => setEditing(null)} onSubmit={submit}>
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
                      value={editing.secret[field.name] ?? ""}
                      onChange={(e) => setEditing({ ...editing, secret: { ...editing.secret, [field.name]: e.target.value } })}
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
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete channel?"
          message={<>“{deleting.name}” will be deleted. Flows that sync to it will fail until you point them at another channel.</>}
          confirmLabel="Delete"
          busy={remove.isPending}
          onCancel={() => setDeleting(null)}
          onConfirm={() => remove.mutate({ id: deleting.id })}
        />
      )}
    </div>
  );
}
