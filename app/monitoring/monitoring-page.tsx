"use client";
import dynamic from "next/dynamic";
import Link from "next/link";
import { useState, type ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { ErrorState, LoadingRows } from "@/app/components/states";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { ChartFrame } from "./charts";

type Dashboard = inferRouterOutputs<AppRouter>["monitoring"]["dashboard"];
const windows = [["15m", "15 min"], ["1h", "1 h"], ["24h", "24 h"]] as const;
type Window = (typeof windows)[number][0];

// Charts render in the browser only (they measure their container).
const chartLoading = () => <div className="skeleton" style={{ height: 200 }} />;
const StackedAreaChart = dynamic(() => import("./charts").then((m) => m.StackedAreaChart), { ssr: false, loading: chartLoading });
const LatencyChart = dynamic(() => import("./charts").then((m) => m.LatencyChart), { ssr: false, loading: chartLoading });
const RunsByFlowChart = dynamic(() => import("./charts").then((m) => m.RunsByFlowChart), { ssr: false, loading: chartLoading });
const LagChart = dynamic(() => import("./charts").then((m) => m.LagChart), { ssr: false, loading: chartLoading });

const REFRESH_MS = 5_000;

function Stat({ label, value, testId, tone }: { label: string; value: string; testId: string; tone?: "danger" | "warning" }) {
  return (
    <div className="card card-body" style={{ display: "flex", flexDirection: "column", gap: 2 }}>
      <span className="muted small">{label}</span>
      <strong data-testid={testId} style={{ fontSize: 22, color: tone === "danger" ? "var(--danger)" : tone === "warning" ? "var(--warning)" : undefined }}>{value}</strong>
    </div>
  );
}

function StatRow({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div role="group" aria-label={label} style={{ display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(220px, 1fr))", gap: 12 }}>
      {children}
    </div>
  );
}

const ms = (v: number | null) => (v === null ? "—" : v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`);
const bytes = (n: number) => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(1)} MB` : `${(n / 1024 ** 3).toFixed(2)} GB`);
const seconds = (msValue: number) => (msValue < 60_000 ? `${Math.round(msValue / 1000)} s` : `${Math.round(msValue / 60_000)} min`);

function Body({ data }: { data: Dashboard }) {
  const { series, runtime, nats } = data;
  const windowSeconds = (series.to - series.from) / 1000;
  const eventRate = series.totals.events / windowSeconds;
  const totalLag = nats.partitions.reduce((sum, p) => sum + p.lag, 0);
  const redelivered = nats.partitions.reduce((sum, p) => sum + p.redelivered, 0);
  const open = runtime.flows.reduce((sum, f) => sum + f.openDeadLetters, 0);
  const held = runtime.flows.reduce((sum, f) => sum + f.heldEvents, 0);
  const problems = new Map(runtime.partitions.map((p) => [p.partition, p.problem]));
  const partitions = nats.partitions.length > 0 ? nats.partitions.map((p) => p.partition) : runtime.partitions.map((p) => p.partition);
  const failed = series.runsByFlow.reduce((sum, f) => sum + f.failed, 0);

  return (
    <>
      {/* Nine figures in three rows of three, one row per question (how much comes in, how fast it
          runs, what is waiting): nine in one row wrap unevenly at 1280 px and squeeze the p50 / p99 values. */}
      <div style={{ display: "flex", flexDirection: "column", gap: 12 }}>
        <StatRow label="Traffic">
          <Stat label="Events in (avg / s)" value={eventRate.toFixed(2)} testId="stat-throughput" />
          <Stat label="Runs" value={String(series.totals.runs)} testId="stat-runs" />
          <Stat label="Failed runs" value={String(failed)} testId="stat-failed" tone={failed ? "danger" : undefined} />
        </StatRow>
        <StatRow label="Latency">
          <Stat label="Run duration p50 / p99" value={`${ms(series.totals.p50Ms)} / ${ms(series.totals.p99Ms)}`} testId="stat-duration" />
          <Stat label="Publish → start p50 / p99" value={`${ms(series.totals.publishToStart.p50Ms)} / ${ms(series.totals.publishToStart.p99Ms)}`} testId="stat-publish-to-start" />
          <Stat label="Consumer lag" value={String(totalLag)} testId="stat-lag" tone={totalLag > 1000 ? "warning" : undefined} />
        </StatRow>
        <StatRow label="Backlog">
          <Stat label="Redelivered (pending)" value={String(redelivered)} testId="stat-redeliveries" />
          <Stat label="Open dead letters" value={String(open)} testId="stat-dead-letters" tone={open ? "danger" : undefined} />
          <Stat label="Held events" value={String(held)} testId="stat-held" tone={held ? "warning" : undefined} />
        </StatRow>
      </div>

      <div style={{ display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(max(420px, calc(50% - 8px)), 1fr))", gap: 16 }}>
        <ChartFrame title="Events in per second, by type" summary={`${series.totals.events} events`}>
          {series.eventsPerSecond.series.length === 0 ? <p className="muted">No events in this window.</p> : (
            <StackedAreaChart rows={series.eventsPerSecond.points.map((p) => ({ t: p.t, ...p.values }))} series={series.eventsPerSecond.series} unit="/s" />
          )}
        </ChartFrame>
        <ChartFrame title="Runs per flow" summary={`${series.totals.runs} runs`}>
          {series.runsByFlow.length === 0 ? <p className="muted">No runs in this window.</p> : (
            <RunsByFlowChart rows={series.runsByFlow.map((f) => ({ name: f.flowName ?? f.flowId.slice(0, 8), succeeded: f.succeeded, failed: f.failed, retried: f.retried }))} />
          )}
        </ChartFrame>
        <ChartFrame title="Run duration" summary={`p50 ${ms(series.totals.p50Ms)} · p99 ${ms(series.totals.p99Ms)}`}>
          {series.durations.length === 0 ? <p className="muted">No finished runs in this window.</p> : <LatencyChart rows={series.durations} />}
        </ChartFrame>
        <ChartFrame title="Consumer lag per partition" summary={`${totalLag} waiting in total`}>
          {partitions.length === 0 ? <p className="muted">No partitions yet.</p> : (
            <LagChart rows={partitions.map((p) => ({ partition: String(p), lag: nats.partitions.find((x) => x.partition === p)?.lag ?? 0, problem: !!problems.get(p) }))} />
          )}
        </ChartFrame>
      </div>

      <section className="card" aria-label="Partitions">
        <div className="card-body" style={{ display: "flex", flexWrap: "wrap", gap: 6, alignItems: "center" }}>
          <h2 style={{ fontSize: 14, marginRight: 8 }}>Partitions</h2>
          {runtime.partitions.length === 0 && <span className="muted">No partitions yet: start a worker.</span>}
          {runtime.partitions.map((p) => (
            <span
              key={p.partition} data-testid="partition" data-problem={p.problem ? "true" : "false"}
              className={`badge ${p.problem ? "badge-danger" : "badge-success"}`}
              title={p.problem ?? `owned by ${p.owner}`}
            >
              p{p.partition}{p.problem ? `: ${p.problem}` : ""}
            </span>
          ))}
        </div>
      </section>

      <div style={{ display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(max(420px, calc(50% - 8px)), 1fr))", gap: 16 }}>
        <section className="card" aria-label="Workers">
          <div className="card-body"><h2 style={{ fontSize: 14 }}>Workers</h2></div>
          {runtime.workers.length === 0 ? <p className="card-body muted" style={{ margin: 0 }}>No worker has sent a heartbeat in the last hour: events wait in the stream.</p> : (
            <table className="table">
              <thead><tr><th>Worker</th><th>Host</th><th>Partitions</th><th>Memory</th><th>Heartbeat</th></tr></thead>
              <tbody>
                {runtime.workers.map((w) => (
                  <tr key={w.id} data-testid="worker-row">
                    <td className="small"><code>{w.id}</code></td>
                    <td>{w.hostname} <span className="muted small">pid {w.pid}</span></td>
                    <td className="small">{w.partitions.length ? w.partitions.join(", ") : "none"}</td>
                    <td className="small" data-testid="worker-memory">{w.rssBytes === null ? "—" : `${Math.round(w.rssBytes / 1048576)} MB`}</td>
                    <td><span className={`badge ${w.up ? "badge-success" : "badge-danger"}`}>{seconds(w.heartbeatAgeMs)} ago{w.up ? "" : " · stopped"}</span></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section className="card" aria-label="NATS">
          <div className="card-body" style={{ display: "flex", flexDirection: "column", gap: 8 }}>
            <h2 style={{ fontSize: 14 }}>NATS JetStream</h2>
            {nats.ok && nats.stream ? (
              <dl style={{ display: "grid", gridTemplateColumns: "auto 1fr", gap: "4px 16px", margin: 0 }}>
                <dt className="muted">Server</dt><dd style={{ margin: 0 }} data-testid="nats-version">nats-server {nats.serverVersion ?? "?"}</dd>
                <dt className="muted">Stream</dt><dd style={{ margin: 0 }}><code>{nats.stream.name}</code></dd>
                <dt className="muted">Messages</dt><dd style={{ margin: 0 }}>{nats.stream.messages.toLocaleString()} ({bytes(nats.stream.bytes)})</dd>
                <dt className="muted">Consumers</dt><dd style={{ margin: 0 }}>{nats.stream.consumers}</dd>
              </dl>
            ) : <ErrorState message={nats.error ?? "NATS is unreachable"} />}
          </div>
        </section>
        <section className="card" aria-label="Backlog per flow">
          <div className="card-body"><h2 style={{ fontSize: 14 }}>Waiting per flow</h2></div>
          {runtime.flows.length === 0 ? <p className="card-body muted" style={{ margin: 0 }}>Nothing waiting: no open dead letters, no held events.</p> : (
            <table className="table">
              <thead><tr><th>Flow</th><th>Open dead letters</th><th>Held events</th></tr></thead>
              <tbody>
                {runtime.flows.map((f) => (
                  <tr key={f.flowId}>
                    <td>{f.flowName ?? f.flowId}</td>
                    <td>{f.openDeadLetters ? <Link href={`/dead-letters?flowId=${encodeURIComponent(f.flowId)}`}>{f.openDeadLetters}</Link> : 0}</td>
                    <td>{f.heldEvents}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section className="card" aria-label="Channel health">
          <div className="card-body"><h2 style={{ fontSize: 14 }}>Channels</h2></div>
          {runtime.channels.length === 0 ? <p className="card-body muted" style={{ margin: 0 }}>No channels configured. <Link href="/channels">Add one</Link>.</p> : (
            <table className="table">
              <thead><tr><th>Channel</th><th>Health</th></tr></thead>
              <tbody>
                {runtime.channels.map((c) => (
                  <tr key={c.id}>
                    <td>{c.name} <span className="muted small">{c.type}</span></td>
                    <td>
                      <OutsideSystemHealth system={c} noun="updates" />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section className="card" aria-label="Target health">
          <div className="card-body">
            <h2 style={{ fontSize: 14 }}>Targets</h2>
            <p className="muted small" style={{ margin: "4px 0 0" }}>Kafka, RabbitMQ, EventBridge and Event Grid connections that flows publish to, by credential.</p>
          </div>
          {runtime.targets.length === 0 ? <p className="card-body muted" style={{ margin: 0 }}>No flow has published to a target yet.</p> : (
            <table className="table">
              <thead><tr><th>Connection</th><th>Health</th></tr></thead>
              <tbody>
                {runtime.targets.map((t) => (
                  <tr key={t.credentialId}>
                    <td><Link href="/settings#credentials-heading">{t.name}</Link> <span className="muted small">{TARGET_LABELS[t.type] ?? t.type}</span></td>
                    <td><OutsideSystemHealth system={t} noun="events" /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </>
  );
}

const TARGET_LABELS: Record<string, string> = { rabbitmq: "RabbitMQ", aws: "AWS EventBridge", eventgrid: "Azure Event Grid" };

/** Down since (holding N updates), healthy, or no calls yet: one outside system's health (docs/decisions/0026). */
function OutsideSystemHealth({ system, noun }: { system: { downSince: Date | string | null; lastSuccessAt: Date | string | null; lastError: string | null; heldEvents: number }; noun: string }) {
  if (system.downSince) {
    const holding = system.heldEvents > 0 ? `holding ${system.heldEvents} ${system.heldEvents === 1 ? noun.replace(/s$/, "") : noun}` : `holding ${noun}`;
    return (
      <>
        <span className="badge badge-danger" title={system.lastError ?? undefined}>Down since {new Date(system.downSince).toLocaleString()} ({holding})</span>
        {system.lastError ? <div className="muted small">{system.lastError}</div> : null}
      </>
    );
  }
  return system.lastSuccessAt ? <span className="badge badge-success">Healthy</span> : <span className="badge">No calls yet</span>;
}

export function MonitoringPage() {
  const trpc = useTRPC();
  const [span, setSpan] = useState<Window>("15m");
  const [live, setLive] = useState(true);
  const dashboard = useQuery({
    ...trpc.monitoring.dashboard.queryOptions({ window: span }),
    refetchInterval: live ? REFRESH_MS : false,
    placeholderData: (previous) => previous,
  });
  return (
    <div className="page">
      <div className="page-inner" style={{ maxWidth: 1400 }}>
        <div className="page-header">
          <div style={{ flex: 1 }}>
            <h1>Monitoring</h1>
            <p className="muted" style={{ margin: "4px 0 0" }}>Throughput, outcomes, latency, backlog and the health of workers, NATS and channels. Prometheus can scrape the same figures at <code>/api/metrics</code>.</p>
          </div>
          <div role="group" aria-label="Time window" style={{ display: "flex", gap: 4 }}>
            {windows.map(([value, label]) => (
              <button key={value} className={`btn btn-sm ${span === value ? "btn-primary" : ""}`} aria-pressed={span === value} onClick={() => setSpan(value)}>{label}</button>
            ))}
          </div>
          <label className="checkbox small">
            <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} /> Live (every 5 s)
          </label>
          <span className="muted small" data-testid="updated-at" aria-live="off">
            {dashboard.data ? `Updated ${new Date(dashboard.data.at).toLocaleTimeString()}` : ""}
            {dashboard.isFetching ? " · refreshing" : ""}
          </span>
        </div>
        {dashboard.isPending ? (
          <section className="card"><LoadingRows rows={5} label="Loading the dashboard" /></section>
        ) : dashboard.isError && !dashboard.data ? (
          <ErrorState message={`Could not load the dashboard: ${errorMessage(dashboard.error)}`} onRetry={() => void dashboard.refetch()} />
        ) : (
          <>
            {dashboard.isError && <ErrorState message={`The last refresh failed (showing older figures): ${errorMessage(dashboard.error)}`} />}
            <Body data={dashboard.data} />
          </>
        )}
      </div>
    </div>
  );
}
