"use client";
import { Inbox } from "lucide-react";
import { useState } from "react";
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useToast } from "@/app/components/toast";
import { ConfirmDialog, FormDialog } from "@/app/components/dialog";
import { EmptyState, ErrorState, LoadingRows } from "@/app/components/states";
import { fieldErrors } from "@/app/channels/form-errors";
import { defaultOrderingKeyOf, isCredentialOptional, sourceKindIds, sourceKinds, type SourceKind } from "@/server/sources/source-kinds";

// Settings → Sources: the brokers events come in from, how a message becomes an event, and how
// each source is doing (connected, messages waiting, last message, last error).

interface Editing {
  id?: string;
  name: string;
  kind: SourceKind;
  credentialId: string;
  enabled: boolean;
  settings: Record<string, string>;
  mapping: { type: string; orderingKey: string; id: string; data: string };
}

const when = (d: Date | string | null) => (d ? new Date(d).toLocaleString() : "");

const blank = (): Editing => ({
  name: "",
  kind: "rabbitmq",
  credentialId: "",
  enabled: true,
  settings: { prefetch: "50" },
  mapping: { type: "", orderingKey: "", id: "", data: "" },
});

const mappingFields = [
  { name: "type", label: "Event type", placeholder: '"stock.changed"  or  event.data.headers.type', help: "JSONata; a fixed type is a quoted string." },
  { name: "orderingKey", label: "Ordering key", placeholder: "event.data.body.sku", help: "Messages with the same key run one at a time, in order." },
  { name: "id", label: "Event id", placeholder: "empty: the broker's message id", help: "A repeated id runs once. Empty: the message id, else a hash of the body.", optional: true },
  { name: "data", label: "Data", placeholder: "empty: the message body", help: "What the event carries; it must match the event type's schema.", optional: true },
] as const;

export function SourcesPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const sources = useQuery({ ...trpc.sources.list.queryOptions(), refetchInterval: 5_000 });
  const credentials = useQuery(trpc.credentials.list.queryOptions());
  const [editing, setEditing] = useState<Editing | null>(null);
  const [deleting, setDeleting] = useState<{ id: string; name: string } | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.sources.list.queryKey() });

  const onSaved = (verb: string) => () => { setEditing(null); toast(`Source ${verb}`, "success"); void invalidate(); };
  const create = useMutation(trpc.sources.create.mutationOptions({ onSuccess: onSaved("created") }));
  const update = useMutation(trpc.sources.update.mutationOptions({ onSuccess: onSaved("saved") }));
  const remove = useMutation(trpc.sources.delete.mutationOptions({
    onSuccess: () => { setDeleting(null); toast("Source deleted", "success"); void invalidate(); },
    onError: (e) => toast(errorMessage(e), "error"),
  }));
  const save = editing?.id ? update : create;
  const errors = fieldErrors(save.error);

  const submit = () => {
    if (!editing) return;
    const settings = Object.fromEntries(Object.entries(editing.settings).filter(([, v]) => v.trim() !== ""));
    const input = { name: editing.name, kind: editing.kind, credentialId: editing.credentialId || null, enabled: editing.enabled, settings, mapping: editing.mapping };
    if (editing.id) update.mutate({ id: editing.id, ...input });
    else create.mutate(input);
  };

  const spec = editing ? sourceKinds[editing.kind] : undefined;
  const usable = (credentials.data ?? []).filter((c) => !spec || c.type === spec.credentialType);

  return (
    <div className="page">
      <div className="page-inner">
        <div className="page-header">
          <div>
            <p className="muted small" style={{ margin: 0 }}><Link href="/settings">Settings</Link> / Sources</p>
            <h1>Sources</h1>
            <p className="muted" style={{ margin: "4px 0 0" }}>
              Brokers that events come in from. Each message becomes an event with the same guarantees as <code>POST /api/events</code>: validated, in order per key, once per id.
            </p>
          </div>
          <span className="spacer" />
          <button className="btn btn-primary" onClick={() => { create.reset(); setEditing(blank()); }}>New source</button>
        </div>
        <section className="card">
          {sources.isPending ? (
            <LoadingRows rows={3} label="Loading sources" />
          ) : sources.isError ? (
            <div className="card-body"><ErrorState message={`Could not load sources: ${sources.error.message}`} onRetry={() => void sources.refetch()} /></div>
          ) : sources.data.length === 0 ? (
            <EmptyState icon={Inbox} title="No sources yet">Add a RabbitMQ queue, a Kafka topic or an EventBridge API destination so its messages start flows, e.g. the ERP's stock updates.</EmptyState>
          ) : (
            <table className="table" aria-label="Sources">
              <thead><tr><th>Name</th><th>Kind</th><th>Consumes / URL</th><th>Health</th><th>Waiting</th><th>Last message</th><th>Last error</th><th /></tr></thead>
              <tbody>
                {sources.data.map((source) => (
                  <tr key={source.id} id={`source-${source.id}`} data-testid="source-row">
                    <td style={{ fontWeight: 600 }}>{source.name}</td>
                    <td>{sourceKinds[source.kind]?.label ?? source.kind}</td>
                    <td className="mono small">{sourceKinds[source.kind]?.mode === "push" ? `POST /api/sources/${source.id}/${source.kind}` : String(source.settings.queue ?? source.settings.topic ?? "—")}</td>
                    <td data-testid="source-health">
                      {!source.enabled ? <span className="badge">Paused</span>
                        : sourceKinds[source.kind]?.mode === "push" ? <span className="badge">Receives calls</span>
                        : source.connected ? <span className="badge badge-success">Connected</span>
                        : <span className="badge badge-warning" title={source.lastError ?? undefined}>Not connected</span>}
                    </td>
                    <td data-testid="source-lag">{source.lag ?? <span className="muted">—</span>}</td>
                    <td className="muted" data-testid="source-last-message">{when(source.lastMessageAt) || "—"}</td>
                    <td className="small" style={{ maxWidth: 320 }}>
                      {source.lastError ? (
                        <><span style={{ color: "var(--danger)" }}>{source.lastError}</span><br /><span className="muted">{when(source.lastErrorAt)}</span></>
                      ) : <span className="muted">—</span>}
                    </td>
                    <td style={{ whiteSpace: "nowrap", textAlign: "right" }}>
                      <button
                        className="btn btn-sm btn-ghost"
                        aria-label={`Edit ${source.name}`}
                        onClick={() => {
                          update.reset();
                          setEditing({
                            id: source.id,
                            name: source.name,
                            kind: source.kind,
                            credentialId: source.credentialId ?? "",
                            enabled: source.enabled,
                            settings: Object.fromEntries(Object.entries(source.settings).map(([k, v]) => [k, String(v)])),
                            mapping: source.mapping,
                          });
                        }}
                      >Edit</button>
                      <button className="btn btn-sm btn-ghost" style={{ color: "var(--danger)" }} aria-label={`Delete ${source.name}`} onClick={() => setDeleting(source)}>Delete</button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <p className="muted small">
          Worker processes (<code>npm run worker</code>, or the ones <code>npm start</code> supervises) consume the queues; a message is acknowledged only after it is stored.
          A message that does not fit its event type goes to the <Link href="/dead-letters">dead-letter inbox</Link> with its raw body.
        </p>
      </div>

      {editing && spec && (
        <FormDialog title={editing.id ? `Edit source “${editing.name}”` : "New source"} submitLabel={editing.id ? "Save" : "Create"} busy={save.isPending} onCancel={() => setEditing(null)} onSubmit={submit}>
          <div className="field">
            <label htmlFor="source-name">Name</label>
            <input id="source-name" className="input" placeholder="e.g. ERP stock updates" value={editing.name} onChange={(e) => setEditing({ ...editing, name: e.target.value })} aria-invalid={Boolean(errors.name)} />
            {errors.name && <span className="error">{errors.name}</span>}
          </div>
          <div className="field">
            <label htmlFor="source-kind">Kind</label>
            <select id="source-kind" className="select" value={editing.kind} onChange={(e) => setEditing({ ...editing, kind: e.target.value as SourceKind, credentialId: "", settings: {} })}>
              {sourceKindIds.map((id) => <option key={id} value={id}>{sourceKinds[id].label}</option>)}
            </select>
          </div>
          <div className="field">
            <label htmlFor="source-credential">Connection</label>
            <select id="source-credential" className="select" value={editing.credentialId} onChange={(e) => setEditing({ ...editing, credentialId: e.target.value })} aria-invalid={Boolean(errors.credentialId)}>
              <option value="">{isCredentialOptional(editing.kind) ? "None (plaintext, no sign-in)" : "Choose a credential"}</option>
              {usable.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
            </select>
            {errors.credentialId ? (
              <span className="error">{errors.credentialId}</span>
            ) : (
              <span className="help">
                {credentials.isPending ? "Loading credentials…" : editing.kind === "kafka" ? "Optional: a Kafka credential signs in with SASL over TLS; none connects in plaintext (a private network)." : usable.length === 0 ? <>No {spec.credentialType} credential yet: add one in <Link href="/settings">Settings</Link>.</> : spec.mode === "push" ? "An HTTP header credential: the header name and value the caller sends (EventBridge: its connection's API key, or Authorization with Basic …)." : "A RabbitMQ credential (its AMQP URL holds the user and password)."}
              </span>
            )}
          </div>
          {spec.fields.map((field) => {
            const error = errors[`settings.${field.name}`];
            return (
              <div className="field" key={field.name}>
                <label htmlFor={`source-setting-${field.name}`}>{field.label}</label>
                {field.options ? (
                  <select
                    id={`source-setting-${field.name}`}
                    className="select"
                    value={editing.settings[field.name] || field.options[0]!.value}
                    onChange={(e) => setEditing({ ...editing, settings: { ...editing.settings, [field.name]: e.target.value } })}
                    aria-invalid={Boolean(error)}
                  >
                    {field.options.map((option) => <option key={option.value} value={option.value}>{option.label}</option>)}
                  </select>
                ) : <input
                  id={`source-setting-${field.name}`}
                  className="input"
                  inputMode={field.type === "number" ? "numeric" : undefined}
                  placeholder={field.placeholder}
                  value={editing.settings[field.name] ?? ""}
                  onChange={(e) => setEditing({ ...editing, settings: { ...editing.settings, [field.name]: e.target.value } })}
                  aria-invalid={Boolean(error)}
                />}
                {error && <span className="error">{error}</span>}
              </div>
            );
          })}
          <fieldset className="field" style={{ border: 0, padding: 0, margin: 0 }}>
            <legend style={{ fontWeight: 600, marginBottom: 4 }}>Message → event</legend>
            <span className="help">JSONata over the message: {spec.messageShape}.</span>
          </fieldset>
          {mappingFields.map((field) => {
            const error = errors[`mapping.${field.name}`];
            return (
              <div className="field" key={field.name}>
                <label htmlFor={`source-mapping-${field.name}`}>{field.label}{"optional" in field ? <span className="muted"> (optional)</span> : null}</label>
                <input
                  id={`source-mapping-${field.name}`}
                  className="input mono"
                  placeholder={field.name === "orderingKey" && defaultOrderingKeyOf(editing.kind) ? `empty: ${defaultOrderingKeyOf(editing.kind)} (the message key)` : field.name === "id" && editing.kind === "kafka" ? "empty: topic/partition/offset" : field.placeholder}
                  value={editing.mapping[field.name]}
                  onChange={(e) => setEditing({ ...editing, mapping: { ...editing.mapping, [field.name]: e.target.value } })}
                  aria-invalid={Boolean(error)}
                />
                {error ? <span className="error">{error}</span> : <span className="help">{field.help}</span>}
              </div>
            );
          })}
          <label className="checkbox" style={{ display: "flex", gap: 8, alignItems: "center" }}>
            <input type="checkbox" checked={editing.enabled} onChange={(e) => setEditing({ ...editing, enabled: e.target.checked })} />
            Consume this source (untick to pause it)
          </label>
          {save.isError && Object.keys(errors).length === 0 && <div className="alert alert-danger" role="alert">{errorMessage(save.error)}</div>}
        </FormDialog>
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete source?"
          message={<>“{deleting.name}” will be deleted and its queue no longer consumed. Messages stay in the broker.</>}
          confirmLabel="Delete"
          busy={remove.isPending}
          onCancel={() => setDeleting(null)}
          onConfirm={() => remove.mutate({ id: deleting.id })}
        />
      )}
    </div>
  );
}
