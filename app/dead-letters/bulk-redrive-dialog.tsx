"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Dialog } from "@/app/components/dialog";
import { ErrorState } from "@/app/components/states";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import type { BulkPreview, BulkSelection } from "./types";

type TransformKind = "none" | "jsonata" | "json-patch";

function transformInput(kind: TransformKind, text: string) {
  if (kind === "jsonata") return { ok: true as const, transform: { kind, expression: text } };
  if (kind === "json-patch") {
    try {
      const patch = JSON.parse(text) as unknown;
      if (!Array.isArray(patch)) return { ok: false as const, message: "A JSON Patch is an array of operations, e.g. [{\"op\": \"replace\", \"path\": \"/quantity\", \"value\": 0}]" };
      return { ok: true as const, transform: { kind, patch: patch as { op: "replace"; path: string; value?: unknown }[] } };
    } catch (error) {
      return { ok: false as const, message: `Not valid JSON: ${(error as Error).message}` };
    }
  }
  return { ok: true as const, transform: { kind: "none" as const } };
}

function Diff({ ops }: { ops: BulkPreview["letters"][number]["diff"] }) {
  if (ops.length === 0) return <span className="muted small">unchanged</span>;
  return (
    <ul style={{ margin: 0, paddingLeft: 16 }} className="mono">
      {ops.map((op, i) => (
        <li key={i}>{op.op} {op.path}{"value" in op ? ` → ${JSON.stringify(op.value)}` : ""}</li>
      ))}
    </ul>
  );
}

/** Bulk redrive: choose a transform, preview exactly what will be sent, run it, watch it finish. */
export function BulkRedriveDialog({ selection, description, onClose }: { selection: BulkSelection; description: string; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<TransformKind>("none");
  const [text, setText] = useState("");
  const [preview, setPreview] = useState<BulkPreview | null>(null);
  const [started, setStarted] = useState<{ requested: string[]; skipped: { id: string; reason: string }[] } | null>(null);
  const parsed = transformInput(kind, text);
  const needsText = kind !== "none" && text.trim() === "";

  const previewMutation = useMutation(trpc.deadLetters.previewBulkRedrive.mutationOptions({ onSuccess: setPreview }));
  const start = useMutation(
    trpc.deadLetters.startBulkRedrive.mutationOptions({
      onSuccess: (result) => {
        setStarted(result);
        void queryClient.invalidateQueries({ queryKey: trpc.deadLetters.pathKey() });
      },
    }),
  );
  const progress = useQuery({
    ...trpc.deadLetters.bulkProgress.queryOptions({ ids: started?.requested.length ? started.requested : ["-"] }),
    enabled: !!started && started.requested.length > 0,
    refetchInterval: (query) => (query.state.data?.done ? false : 500),
  });
  const p = progress.data;
  const finished = started && (started.requested.length === 0 || p?.done);
  const percent = p && p.total > 0 ? Math.round(((p.total - p.waiting) / p.total) * 100) : 0;

  const invalidate = () => setPreview(null);

  return (
    <Dialog
      title="Bulk redrive"
      onClose={() => { if (finished) void queryClient.invalidateQueries({ queryKey: trpc.deadLetters.pathKey() }); onClose(); }}
      width="min(900px, 100%)"
      actions={
        started ? (
          <button className="btn btn-primary" onClick={onClose} disabled={!finished}>{finished ? "Done" : "Redriving…"}</button>
        ) : (
          <>
            <button className="btn" onClick={onClose}>Cancel</button>
            <button
              className="btn"
              disabled={!parsed.ok || needsText || previewMutation.isPending}
              onClick={() => parsed.ok && previewMutation.mutate({ selection, transform: parsed.transform })}
            >{previewMutation.isPending ? "Previewing…" : "Preview"}</button>
            <button
              className="btn btn-primary"
              disabled={!preview || preview.willRedrive === 0 || start.isPending || !parsed.ok}
              onClick={() => parsed.ok && start.mutate({ selection, transform: parsed.transform })}
            >{start.isPending ? "Starting…" : preview ? `Redrive ${preview.willRedrive}` : "Redrive"}</button>
          </>
        )
      }
    >
      <p className="muted" style={{ margin: 0 }}>{description}. Events of the same key are redriven one at a time, in their original order; the events held behind them follow.</p>
      {!started && (
        <>
          <fieldset style={{ border: "1px solid var(--border)", borderRadius: 8, padding: "8px 12px", margin: 0, display: "flex", gap: 16, flexWrap: "wrap" }}>
            <legend className="small" style={{ fontWeight: 600 }}>Payload transform</legend>
            {([["none", "None"], ["jsonata", "JSONata expression"], ["json-patch", "JSON Patch"]] as const).map(([value, label]) => (
              <label key={value} className="checkbox">
                <input type="radio" name="transform" checked={kind === value} onChange={() => { setKind(value); invalidate(); }} />
                {label}
              </label>
            ))}
          </fieldset>
          {kind !== "none" && (
            <div className="field">
              <label htmlFor="bulk-transform">{kind === "jsonata" ? "JSONata expression (its result becomes the event's data)" : "JSON Patch (applied to the event's data)"}</label>
              <textarea
                id="bulk-transform" className="textarea" rows={4} value={text}
                aria-invalid={!parsed.ok}
                placeholder={kind === "jsonata" ? '$merge([event.data, {"warehouse": "AMS-2"}])' : '[{"op": "replace", "path": "/quantity", "value": 0}]'}
                onChange={(e) => { setText(e.target.value); invalidate(); }}
              />
              {!parsed.ok && <span className="error">{parsed.message}</span>}
            </div>
          )}
          {previewMutation.isError && <ErrorState message={errorMessage(previewMutation.error)} />}
          {start.isError && <ErrorState message={errorMessage(start.error)} />}
          {preview && (
            <section data-testid="bulk-preview" style={{ display: "flex", flexDirection: "column", gap: 10 }}>
              <div className="alert alert-warning" data-testid="preview-summary">
                {preview.willRedrive} will be redriven{preview.willSkip ? `, ${preview.willSkip} skipped` : ""}.{" "}
                {preview.calls.length === 0 ? "No calls to outside systems." : `Calls: ${preview.calls.map((c) => `${c.count} to ${c.system}`).join(", ")}`}
                {preview.heldCalls > 0 ? `, then up to ${preview.heldCalls} for the events held behind them` : ""}.
              </div>
              <div tabIndex={0} role="region" aria-label="Per-event changes" style={{ maxHeight: 280, overflow: "auto", border: "1px solid var(--border)", borderRadius: 8 }}>
                <table className="table" aria-label="Preview">
                  <thead><tr><th>Key</th><th>Event</th><th>Change to the data</th><th>Outcome</th></tr></thead>
                  <tbody>
                    {preview.letters.map((l) => (
                      <tr key={l.id} data-testid="preview-row">
                        <td>{l.orderingKey}</td>
                        <td className="small"><code>{l.eventId}</code></td>
                        <td className="small"><Diff ops={l.diff} /></td>
                        <td className="small">{l.problem ? <span style={{ color: "var(--danger)" }}>skipped: {l.problem}</span> : "redrive"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          )}
        </>
      )}
      {started && (
        <section style={{ display: "flex", flexDirection: "column", gap: 10 }}>
          {started.requested.length > 0 && (
            <>
              <div
                role="progressbar" aria-label="Bulk redrive progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}
                style={{ height: 10, background: "var(--surface-2)", borderRadius: 999, overflow: "hidden" }}
              >
                <div style={{ width: `${percent}%`, height: "100%", background: "var(--accent)", transition: "width 0.3s" }} />
              </div>
              <p className="small muted" style={{ margin: 0 }}>{p ? `${p.total - p.waiting} of ${p.total} done` : "Starting…"}</p>
            </>
          )}
          {finished && (
            <div className="alert alert-success" data-testid="bulk-result" role="status">
              Redriven: {p?.redriven ?? 0} · Failed again: {p?.failedAgain ?? 0} · Skipped: {started.skipped.length}
              {p?.discarded ? ` · Discarded meanwhile: ${p.discarded}` : ""}
            </div>
          )}
          {finished && started.skipped.length > 0 && (
            <ul className="small" style={{ margin: 0 }}>
              {started.skipped.slice(0, 20).map((s) => <li key={s.id}><code>{s.id.slice(0, 8)}</code>: {s.reason}</li>)}
            </ul>
          )}
        </section>
      )}
    </Dialog>
  );
}
