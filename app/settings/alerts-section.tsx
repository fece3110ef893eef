"use client";
import { useEffect, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { useToast } from "@/app/components/toast";
import { ConfirmDialog, Dialog } from "@/app/components/dialog";
import { ErrorState, LoadingRows } from "@/app/components/states";

/** Settings → Alerts: where dead-letter and channel-down alerts are posted (README "Alerts"). */
export function AlertsSection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const settings = useQuery({ ...trpc.alerts.get.queryOptions(), refetchInterval: 5_000 });
  const [url, setUrl] = useState("");
  const [minutes, setMinutes] = useState("15");
  const [onDeadLetter, setOnDeadLetter] = useState(true);
  const [onChannelDown, setOnChannelDown] = useState(true);
  const [loaded, setLoaded] = useState(false);
  const [secret, setSecret] = useState<{ value: string; why: string } | null>(null);
  const [removing, setRemoving] = useState(false);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.alerts.get.queryKey() });

  useEffect(() => {
    if (loaded || !settings.isSuccess) return;
    const saved = settings.data.settings;
    if (saved) {
      setUrl(saved.url);
      setMinutes(String(saved.minIntervalMinutes));
      setOnDeadLetter(saved.onDeadLetter);
      setOnChannelDown(saved.onChannelDown);
    }
    setLoaded(true);
  }, [loaded, settings.isSuccess, settings.data]);

  const save = useMutation(trpc.alerts.save.mutationOptions({
    onSuccess: (result) => {
      toast("Alert settings saved", "success");
      if (result.secret) setSecret({ value: result.secret, why: "Receivers verify alerts with this signing secret. It is shown now; later an admin can reveal it again." });
      void invalidate();
    },
  }));
  const reveal = useMutation(trpc.alerts.revealSecret.mutationOptions({
    onSuccess: (result) => result.secret && setSecret({ value: result.secret, why: "Revealing the secret is recorded in the audit log." }),
    onError: (e) => toast(errorMessage(e), "error"),
  }));
  const rotate = useMutation(trpc.alerts.rotateSecret.mutationOptions({
    onSuccess: (result) => setSecret({ value: result.secret, why: "The old secret no longer verifies: give this one to your receivers." }),
    onError: (e) => toast(errorMessage(e), "error"),
  }));
  const test = useMutation(trpc.alerts.sendTest.mutationOptions({
    onSuccess: (result) => { toast(result.ok ? "Test alert delivered" : result.error ?? "The test alert was not delivered", result.ok ? "success" : "error"); void invalidate(); },
    onError: (e) => toast(errorMessage(e), "error"),
  }));
  const remove = useMutation(trpc.alerts.remove.mutationOptions({
    onSuccess: () => { setRemoving(false); setUrl(""); toast("Alerts turned off", "success"); void invalidate(); },
    onError: (e) => toast(errorMessage(e), "error"),
  }));

  const current = settings.data?.settings ?? null;
  return (
    <section className="card" aria-labelledby="alerts-heading">
      <div className="card-body" style={{ borderBottom: "1px solid var(--border)" }}>
        <h2 id="alerts-heading">Alerts</h2>
        <p className="muted small" style={{ margin: "2px 0 0" }}>
          A signed POST (Standard Webhooks) to your URL when a dead letter appears or a channel goes down — at most one per flow (or channel) per the minutes below; the next one says how many were held back.
        </p>
      </div>
      {settings.isPending ? (
        <LoadingRows rows={2} label="Loading alert settings" />
      ) : settings.isError ? (
        <div className="card-body"><ErrorState message={`Could not load the alert settings: ${settings.error.message}`} onRetry={() => void settings.refetch()} /></div>
      ) : (
        <form
          className="card-body"
          style={{ display: "flex", flexDirection: "column", gap: 12 }}
          onSubmit={(e) => { e.preventDefault(); save.mutate({ url, minIntervalMinutes: Number(minutes), onDeadLetter, onChannelDown }); }}
        >
          {!current && <p className="muted" style={{ margin: 0 }} data-testid="alerts-not-set">No alert URL yet: alerts are off.</p>}
          <div className="field">
            <label htmlFor="alert-url">Webhook URL</label>
            <input id="alert-url" className="input" type="url" placeholder="https://hooks.example.com/syncline" value={url} onChange={(e) => setUrl(e.target.value)} aria-invalid={save.isError} aria-describedby="alert-url-help" required />
            <span className="help" id="alert-url-help">Private and loopback hosts must be listed in SYNCLINE_HTTP_ALLOWLIST, as for every outgoing call.</span>
          </div>
          <div className="field">
            <label htmlFor="alert-minutes">Minutes between alerts of one flow</label>
            <input id="alert-minutes" className="input" type="number" min={1} max={1440} value={minutes} onChange={(e) => setMinutes(e.target.value)} style={{ maxWidth: 120 }} />
          </div>
          <fieldset style={{ border: 0, padding: 0, margin: 0, display: "flex", flexDirection: "column", gap: 4 }}>
            <legend style={{ padding: 0, marginBottom: 4, fontWeight: 600 }}>Send an alert when</legend>
            <label style={{ display: "flex", gap: 8 }}><input type="checkbox" checked={onDeadLetter} onChange={(e) => setOnDeadLetter(e.target.checked)} /> a dead letter appears</label>
            <label style={{ display: "flex", gap: 8 }}><input type="checkbox" checked={onChannelDown} onChange={(e) => setOnChannelDown(e.target.checked)} /> a channel goes down</label>
          </fieldset>
          {save.isError && <p className="error" role="alert" style={{ margin: 0, color: "var(--danger)" }}>{errorMessage(save.error)}</p>}
          <div style={{ display: "flex", gap: 8, flexWrap: "wrap" }}>
            <button className="btn btn-primary" type="submit" disabled={save.isPending}>{save.isPending ? "Saving…" : current ? "Save" : "Turn on alerts"}</button>
            {current && (
              <>
                <button className="btn" type="button" onClick={() => test.mutate()} disabled={test.isPending}>{test.isPending ? "Sending…" : "Send test alert"}</button>
                <button className="btn" type="button" onClick={() => reveal.mutate()} disabled={reveal.isPending}>Reveal signing secret</button>
                <button className="btn" type="button" onClick={() => rotate.mutate()} disabled={rotate.isPending}>New signing secret</button>
                <button className="btn btn-ghost" type="button" style={{ color: "var(--danger)" }} onClick={() => setRemoving(true)}>Turn off</button>
              </>
            )}
          </div>
          {current && (
            <p className="small" style={{ margin: 0 }} data-testid="alert-delivery-status" role="status">
              Last delivery:{" "}
              {current.lastDeliveryStatus === null ? (
                <span className="muted">none yet</span>
              ) : (
                <>
                  <span className={`badge ${current.lastDeliveryStatus === "delivered" ? "badge-success" : "badge-danger"}`}>{current.lastDeliveryStatus}</span>{" "}
                  {current.lastDeliveryAt && new Date(current.lastDeliveryAt).toLocaleString()}
                  {current.lastDeliveryError && <span> — {current.lastDeliveryError}</span>}
                </>
              )}
              {current.pending > 0 && <span className="muted"> · {current.pending} waiting to be sent</span>}
            </p>
          )}
        </form>
      )}
      {secret && (
        <Dialog title="Alert signing secret" onClose={() => setSecret(null)} actions={<button className="btn btn-primary" onClick={() => setSecret(null)}>Done</button>}>
          <p style={{ margin: 0 }}>{secret.why}</p>
          <div style={{ display: "flex", gap: 8 }}>
            <input className="input mono" readOnly value={secret.value} aria-label="Alert signing secret" onFocus={(e) => e.target.select()} data-testid="alert-secret" />
            <button className="btn" onClick={() => { void navigator.clipboard?.writeText(secret.value); toast("Copied", "success"); }}>Copy</button>
          </div>
        </Dialog>
      )}
      {removing && (
        <ConfirmDialog
          title="Turn alerts off?"
          message="The URL, the signing secret and alerts not sent yet are deleted. Turning alerts on again makes a new secret."
          confirmLabel="Turn off"
          busy={remove.isPending}
          onCancel={() => setRemoving(false)}
          onConfirm={() => remove.mutate()}
        />
      )}
    </section>
  );
}
