"use client";
import { Sparkles } from "lucide-react";
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useToast } from "@/app/components/toast";
import { ConfirmDialog } from "@/app/components/dialog";
import { EmptyState, ErrorState, LoadingRows } from "@/app/components/states";
import { useHasRole } from "@/app/components/current-user";
import { TestEventDialog } from "./test-event-dialog";

type Outputs = inferRouterOutputs<AppRouter>["eventTypes"];
type CustomType = Outputs["list"][number];
type Json = inferRouterInputs<AppRouter>["eventTypes"]["create"]["jsonSchema"];
type Field = { path: string; type: string; required: boolean; description?: string };

const STARTER_SCHEMA = `{
  "type": "object",
  "properties": {
    "orderId": { "type": "string", "description": "Order number" },
    "reason": { "type": "string", "enum": ["damaged", "wrong-size", "other"] }
  },
  "required": ["orderId"]
}`;
const STARTER_EXAMPLE = `{
  "orderId": "ORDER-20260312-0042",
  "reason": "wrong-size"
}`;

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

export function EventTypesPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const custom = useQuery(trpc.eventTypes.list.queryOptions());
  const builtIn = useQuery(trpc.eventTypes.builtIn.queryOptions());
  const [editing, setEditing] = useState<CustomType | "new" | null>(null);
  const [deleting, setDeleting] = useState<CustomType | null>(null);
  const [testing, setTesting] = useState<string | null>(null);
  const canEdit = useHasRole("editor");
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.eventTypes.list.queryKey() });

  const remove = useMutation(trpc.eventTypes.delete.mutationOptions({
    onSuccess: () => { toast("Event type deleted", "success"); setDeleting(null); void invalidate(); },
    onError: (e) => toast(errorMessage(e), "error"),
  }));

  return (
    <div className="page">
      <div className="page-inner">
        <div className="page-header">
          <div>
            <h1>Event types</h1>
            <p className="muted" style={{ margin: "4px 0 0" }}>
              The schema registry: <code>POST /api/events</code> accepts an event only when its <code>data</code> matches the schema of its <code>type</code>.
            </p>
          </div>
          <span className="spacer" />
          <button className="btn btn-primary" onClick={() => setEditing("new")}>Register event type</button>
        </div>

        <section className="card" aria-labelledby="custom-types-heading" data-testid="custom-event-types">
          <div className="card-body" style={{ borderBottom: "1px solid var(--border)" }}>
            <h2 id="custom-types-heading">Custom event types</h2>
            <p className="muted small" style={{ margin: "2px 0 0" }}>Your own types, each with a JSON Schema of its data. Flows use them through the “Custom event” trigger.</p>
          </div>
          {custom.isPending ? (
            <LoadingRows rows={3} label="Loading custom event types" />
          ) : custom.isError ? (
            <div className="card-body"><ErrorState message={`Could not load event types: ${custom.error.message}`} onRetry={() => void custom.refetch()} /></div>
          ) : custom.data.length === 0 ? (
            <EmptyState
              icon={Sparkles}
              title="No custom event types yet"
              action={<button className="btn btn-primary" onClick={() => setEditing("new")}>Register your first event type</button>}
            >
              Register a type such as <code>com.acme.return.requested</code> with a JSON Schema, and other systems can send it to Syncline.
            </EmptyState>
          ) : (
            <TypeTable
              rows={custom.data.map((t) => ({
                type: t.type,
                description: t.description,
                fields: t.fields,
                example: t.exampleEvent,
                warning: t.schemaProblems.length > 0 ? "The stored schema cannot be used any more: edit it." : undefined,
                actions: (
                  <>
                    {canEdit && t.schemaProblems.length === 0 && <button className="btn btn-sm btn-ghost" onClick={() => setTesting(t.type)} aria-label={`Test event: ${t.type}`}>Test event</button>}
                    <button className="btn btn-sm btn-ghost" onClick={() => setEditing(t)} aria-label={`Edit ${t.type}`}>Edit</button>
                    <button className="btn btn-sm btn-ghost" style={{ color: "var(--danger)" }} onClick={() => setDeleting(t)} aria-label={`Delete ${t.type}`}>Delete</button>
                  </>
                ),
              }))}
            />
          )}
        </section>

        <section className="card" aria-labelledby="built-in-types-heading" data-testid="built-in-event-types">
          <div className="card-body" style={{ borderBottom: "1px solid var(--border)" }}>
            <h2 id="built-in-types-heading">Built-in event types</h2>
            <p className="muted small" style={{ margin: "2px 0 0" }}>Defined by Syncline; read-only. Fields not listed here are refused, so free-form product data goes into <code>attributes</code>.</p>
          </div>
          {builtIn.isPending ? (
            <LoadingRows rows={4} label="Loading built-in event types" />
          ) : builtIn.isError ? (
            <div className="card-body"><ErrorState message={`Could not load built-in event types: ${builtIn.error.message}`} onRetry={() => void builtIn.refetch()} /></div>
          ) : (
            <TypeTable rows={builtIn.data.map((t) => ({ type: t.type, description: t.description, fields: t.fields, example: t.example }))} />
          )}
        </section>
      </div>

      {editing && (
        <EventTypeDialog
          existing={editing === "new" ? undefined : editing}
          onClose={() => setEditing(null)}
          onSaved={(type, created) => { setEditing(null); toast(created ? `Registered ${type}` : `Saved ${type}`, "success"); void invalidate(); }}
        />
      )}
      {testing && <TestEventDialog type={testing} onClose={() => setTesting(null)} />}
      {deleting && (
        <ConfirmDialog
          title="Delete event type?"
          message={<>Events of type <code>{deleting.type}</code> will be refused (400) from now on, and flows triggered by it stop receiving events.</>}
          confirmLabel="Delete event type"
          busy={remove.isPending}
          onCancel={() => setDeleting(null)}
          onConfirm={() => remove.mutate({ type: deleting.type })}
        />
      )}
    </div>
  );
}

interface TypeRow {
  type: string;
  description: string;
  fields: Field[];
  example: unknown;
  warning?: string;
  actions?: ReactNode;
}

function TypeTable({ rows }: { rows: TypeRow[] }) {
  const withActions = rows.some((r) => r.actions);
  return (
    <table className="table">
      <thead>
        <tr>
          <th style={{ width: "26%" }}>Type</th>
          <th>Fields of <code>data</code></th>
          <th style={{ width: 1 }}>Example</th>
          {withActions && <th style={{ width: 1 }}><span className="sr-only">Actions</span></th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.type} data-testid={`event-type-row-${row.type}`}>
            <td style={{ verticalAlign: "top" }}>
              <code style={{ fontWeight: 600 }}>{row.type}</code>
              {row.description && <div className="muted small" style={{ marginTop: 2 }}>{row.description}</div>}
              {row.warning && <div className="small" style={{ color: "var(--danger)", marginTop: 4 }}>{row.warning}</div>}
            </td>
            <td style={{ verticalAlign: "top" }}><FieldList fields={row.fields} /></td>
            <td style={{ verticalAlign: "top" }}>
              <details>
                <summary className="small" style={{ cursor: "pointer", whiteSpace: "nowrap" }}>Show</summary>
                <pre className="mono" style={{ margin: "8px 0 0", padding: 10, background: "var(--surface-2)", borderRadius: 6, maxWidth: 420, maxHeight: 320, overflow: "auto" }}>{pretty(row.example)}</pre>
              </details>
            </td>
            {withActions && <td style={{ whiteSpace: "nowrap", verticalAlign: "top" }}>{row.actions}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FieldList({ fields }: { fields: Field[] }) {
  if (fields.length === 0) return <span className="muted small">Any JSON value</span>;
  return (
    <ul style={{ listStyle: "none", margin: 0, padding: 0, display: "flex", flexWrap: "wrap", gap: 6 }}>
      {fields.map((field) => {
        const name = field.path.replace(/^event\.data\./, "");
        return (
          <li key={field.path} className="badge" title={field.description ?? undefined} style={{ fontWeight: 500 }}>
            <code style={{ color: "var(--text)" }}>{name}</code>
            <span>{field.type}</span>
            {field.required && <span style={{ color: "var(--accent)" }} aria-label="required">*</span>}
          </li>
        );
      })}
    </ul>
  );
}

type FieldName = "type" | "description" | "jsonSchema" | "example";

/** Field-level messages from a failed tRPC mutation (zod issues flattened by the server). */
function serverFieldErrors(error: unknown): Partial<Record<FieldName, string>> {
  if (!(error instanceof TRPCClientError)) return {};
  const data = error.data as { zodError?: { fieldErrors: Record<string, string[] | undefined> } | null } | undefined;
  const out: Partial<Record<FieldName, string>> = {};
  for (const [field, messages] of Object.entries(data?.zodError?.fieldErrors ?? {})) {
    if (messages?.length) out[field as FieldName] = messages.join("; ");
  }
  return out;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (text.trim() === "") return { ok: false, message: "enter JSON" };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `not valid JSON: ${(error as Error).message}` };
  }
}

function EventTypeDialog({ existing, onClose, onSaved }: {
  existing?: CustomType;
  onClose: () => void;
  onSaved: (type: string, created: boolean) => void;
}) {
  const trpc = useTRPC();
  const [type, setType] = useState(existing?.type ?? "");
  const [description, setDescription] = useState(existing?.description ?? "");
  const [schemaText, setSchemaText] = useState(existing ? pretty(existing.jsonSchema) : STARTER_SCHEMA);
  const [exampleText, setExampleText] = useState(existing ? pretty(existing.example) : STARTER_EXAMPLE);
  const [localErrors, setLocalErrors] = useState<Partial<Record<FieldName, string>>>({});
  const onSuccess = (saved: { type: string }) => onSaved(saved.type, !existing);
  const create = useMutation(trpc.eventTypes.create.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.eventTypes.update.mutationOptions({ onSuccess }));
  const mutation = existing ? update : create;
  const serverErrors = serverFieldErrors(mutation.error);
  // Once the person edits a field, the server's verdict on the old text no longer applies.
  const [touchedSinceSubmit, setTouched] = useState<Set<FieldName>>(new Set());
  const errorFor = (field: FieldName) => localErrors[field] ?? (touchedSinceSubmit.has(field) ? undefined : serverErrors[field]);
  const generalError = mutation.isError && Object.keys(serverErrors).length === 0 ? errorMessage(mutation.error) : undefined;

  const edit = (field: FieldName, set: (value: string) => void) => (value: string) => {
    set(value);
    setTouched((current) => new Set(current).add(field));
    setLocalErrors((current) => ({ ...current, [field]: undefined }));
  };

  function submit() {
    const schema = parseJson(schemaText);
    const example = parseJson(exampleText);
    const errors: Partial<Record<FieldName, string>> = {};
    if (!existing && type.trim() === "") errors.type = "give the type a name, e.g. com.acme.return.requested";
    if (!schema.ok) errors.jsonSchema = schema.message;
    if (!example.ok) errors.example = example.message;
    setLocalErrors(errors);
    if (Object.keys(errors).length > 0 || !schema.ok || !example.ok) return;
    setTouched(new Set());
    const input = { type: existing?.type ?? type.trim(), description, jsonSchema: schema.value as Json, example: example.value as Json };
    if (existing) update.mutate(input);
    else create.mutate(input);
  }

  return (
    <WideDialog title={existing ? `Edit ${existing.type}` : "Register event type"} onClose={onClose}>
      <form onSubmit={(e) => { e.preventDefault(); submit(); }} style={{ display: "flex", flexDirection: "column", gap: 14 }} noValidate>
        <div className="field">
          <label htmlFor="event-type-name">Type</label>
          <input
            id="event-type-name"
            className="input mono"
            placeholder="com.acme.return.requested"
            value={type}
            disabled={!!existing}
            onChange={(e) => edit("type", setType)(e.target.value)}
            aria-invalid={!!errorFor("type")}
            aria-describedby="event-type-name-help"
          />
          {errorFor("type") ? (
            <span className="error" data-testid="field-error-type">{errorFor("type")}</span>
          ) : (
            <span className="help" id="event-type-name-help">
              {existing ? "The name cannot change: flows refer to it." : "Letters and digits separated by . - or _, e.g. com.acme.return.requested."}
            </span>
          )}
        </div>
        <div className="field">
          <label htmlFor="event-type-description">Description</label>
          <input id="event-type-description" className="input" placeholder="What happened, in one sentence" value={description} onChange={(e) => edit("description", setDescription)(e.target.value)} aria-invalid={!!errorFor("description")} />
          {errorFor("description") && <span className="error" data-testid="field-error-description">{errorFor("description")}</span>}
        </div>
        <div style={{ display: "grid", gridTemplateColumns: "1fr 1fr", gap: 14 }}>
          <JsonField
            id="event-type-schema"
            label="JSON Schema of data"
            help="Draft 2020-12. Not supported: if/then/else, not, dependent*, unevaluated*, remote $ref."
            value={schemaText}
            onChange={edit("jsonSchema", setSchemaText)}
            error={errorFor("jsonSchema")}
            testId="field-error-jsonSchema"
          />
          <JsonField
            id="event-type-example"
            label="Example data"
            help="Must match the schema; shown here and sent by the test-event button."
            value={exampleText}
            onChange={edit("example", setExampleText)}
            error={errorFor("example")}
            testId="field-error-example"
          />
        </div>
        {generalError && <div className="alert alert-danger" role="alert">{generalError}</div>}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>Cancel</button>
          <button type="submit" className="btn btn-primary" disabled={mutation.isPending}>
            {mutation.isPending ? "Saving…" : existing ? "Save" : "Register"}
          </button>
        </div>
      </form>
    </WideDialog>
  );
}

function JsonField({ id, label, help, value, onChange, error, testId }: {
  id: string;
  label: string;
  help: string;
  value: string;
  onChange: (value: string) => void;
  error?: string;
  testId: string;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        className="textarea"
        rows={16}
        spellCheck={false}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          // Tab indents instead of leaving the editor; Shift+Tab (and Escape then Tab) still move focus.
          if (e.key === "Tab" && !e.shiftKey) {
            e.preventDefault();
            const el = e.currentTarget;
            const { selectionStart, selectionEnd } = el;
            onChange(`${value.slice(0, selectionStart)}  ${value.slice(selectionEnd)}`);
            requestAnimationFrame(() => el.setSelectionRange(selectionStart + 2, selectionStart + 2));
          }
        }}
        aria-invalid={!!error}
        aria-describedby={`${id}-help`}
      />
      {error ? <span className="error" data-testid={testId} style={{ whiteSpace: "pre-wrap" }}>{error}</span> : <span className="help" id={`${id}-help`}>{help}</span>}
    </div>
  );
}

/** The shared Dialog is sized for short forms; two JSON editors side by side need more room. */
function WideDialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);
  // onClose is a new function on every keystroke in the form: read it through a ref, so focus is
  // set once on open instead of jumping back to the first field while the person types.
  const close = useRef(onClose);
  useEffect(() => {
    close.current = onClose;
  });
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>("input:not([disabled]), textarea")?.focus();
    const onKey = (e: KeyboardEvent) => { if (e.key === "Escape") close.current(); };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return (
    <div className="dialog-backdrop" onMouseDown={(e) => { if (e.target === e.currentTarget) close.current(); }}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} ref={ref} style={{ width: "min(920px, 100%)" }}>
        <h2 id={titleId}>{title}</h2>
        {children}
      </div>
    </div>
  );
}
