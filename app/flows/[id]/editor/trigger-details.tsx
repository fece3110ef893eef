"use client";

import { useEffect, useMemo, useState } from "react";
import { describeCron } from "@/server/nodes/trigger-schedule/cron-description";
import { cronProblem, nextRunTimes } from "@/server/nodes/trigger-schedule/cron-expression";

// What a trigger's settings mean in practice, under its form: the URL a webhook listens on (with
// a copy button and a ready-to-run curl call) and the next runs of a schedule in its time zone.

function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), 2000);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <button
      type="button"
      className="btn btn-sm"
      aria-label={label}
      onClick={() => navigator.clipboard.writeText(text).then(() => setState("copied"), () => setState("failed"))}
    >
      {state === "copied" ? "Copied" : state === "failed" ? "Copy failed" : "Copy"}
    </button>
  );
}

function WebhookDetails({ config }: { config: Record<string, unknown> }) {
  const [origin, setOrigin] = useState("");
  useEffect(() => setOrigin(window.location.origin), []);
  const path = typeof config.path === "string" ? config.path.trim() : "";
  if (!path || !/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(path)) {
    return <p className="muted small">Enter a path to get this flow&apos;s webhook URL.</p>;
  }
  const url = `${origin}/api/hooks/${path}`;
  const curl =
    config.authentication === "bearer"
      ? `curl -X POST ${url} \\\n  -H "Authorization: Bearer $SECRET" \\\n  -H 'Content-Type: application/json' \\\n  -d '{"sku":"SKU-1"}'`
      : `BODY='{"sku":"SKU-1"}'; TS=$(date +%s)\nSIG=$(printf '%s.%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')\n` +
        `curl -X POST ${url} \\\n  -H 'Content-Type: application/json' \\\n  -H "X-Syncline-Timestamp: $TS" \\\n  -H "X-Syncline-Signature: sha256=$SIG" \\\n  -d "$BODY"`;
  return (
    <section className="ed-trigger-details" aria-labelledby="webhook-url-heading">
      <h3 id="webhook-url-heading" className="small">Webhook URL</h3>
      <div className="ed-copy-row">
        <code data-testid="webhook-url">{url}</code>
        <CopyButton text={url} label="Copy webhook URL" />
      </div>
      <p className="muted small">Calls are accepted once the flow is published and enabled. $SECRET is the value of the chosen secret credential.</p>
      <div className="ed-copy-row">
        <h3 className="small">Example call</h3>
        <CopyButton text={curl} label="Copy example curl call" />
      </div>
      <pre className="ed-code small" data-testid="webhook-curl">{curl}</pre>
    </section>
  );
}

function ScheduleDetails({ config }: { config: Record<string, unknown> }) {
  const cron = typeof config.cron === "string" ? config.cron : "";
  const timezone = typeof config.timezone === "string" && config.timezone ? config.timezone : "UTC";
  const preview = useMemo(() => {
    const problem = cronProblem(cron, timezone);
    if (problem) return { problem };
    try {
      const format = new Intl.DateTimeFormat("en-GB", { timeZone: timezone, dateStyle: "medium", timeStyle: "medium" });
      return { description: describeCron(cron), times: nextRunTimes(cron, timezone, 5).map((t) => ({ iso: t.toISOString(), text: format.format(t) })) };
    } catch {
      return { problem: "not a known time zone" };
    }
  }, [cron, timezone]);
  if ("problem" in preview) return null; // the form shows the field's problem
  return (
    <section className="ed-trigger-details" aria-labelledby="schedule-heading">
      <h3 id="schedule-heading" className="small">
        {preview.description || "Next runs"} <span className="muted">({timezone})</span>
      </h3>
      <ol className="small ed-next-runs" aria-label="Next five runs" data-testid="schedule-next-runs">
        {preview.times.map((t) => (
          <li key={t.iso}>
            <time dateTime={t.iso}>{t.text}</time>
          </li>
        ))}
      </ol>
    </section>
  );
}

export function TriggerDetails({ kind, config }: { kind: string; config: Record<string, unknown> }) {
  if (kind === "trigger:webhook") return <WebhookDetails config={config} />;
  if (kind === "trigger:schedule") return <ScheduleDetails config={config} />;
  return null;
}
