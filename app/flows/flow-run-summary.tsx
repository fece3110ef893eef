"use client";
import Link from "next/link";
import { RunStatusBadge } from "@/app/components/run-status";
import type { FlowRunStats } from "@/server/history/flow-run-stats";

// A flow's recent activity on the flows list; every number opens the run list filtered to it.

export function FlowRunSummary({ stats, relativeTime }: { stats: FlowRunStats | undefined; relativeTime: (d: Date) => string }) {
  if (!stats) return <span className="muted small">—</span>;
  const runs = `/runs?flow=${stats.flowId}`;
  // The run list's time filter takes local date-times (what a datetime-local input shows).
  const dayAgo = () => {
    const d = new Date(Date.now() - 24 * 3600_000);
    return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  };
  return (
    <div className="small" style={{ display: "flex", flexDirection: "column", gap: 2 }}>
      {stats.lastRun ? (
        <span>
          <Link href={`/runs/${stats.lastRun.id}`} aria-label={`Last run: ${stats.lastRun.status}`}><RunStatusBadge status={stats.lastRun.status} /></Link>{" "}
          <span className="muted">{relativeTime(stats.lastRun.startedAt)}</span>
        </span>
      ) : (
        <span className="muted">No runs yet</span>
      )}
      <span>
        <Link href={`${runs}&from=${dayAgo()}`}>{stats.runs24h} run{stats.runs24h === 1 ? "" : "s"}</Link>
        {" · "}
        <Link href={`${runs}&status=dead-lettered&from=${dayAgo()}`} style={stats.failures24h ? { color: "var(--danger)" } : undefined}>
          {stats.failures24h} failed
        </Link>
        <span className="muted"> in 24 h</span>
        {stats.openDeadLetters > 0 && (
          <>
            {" · "}
            <Link href={`/dead-letters?flow=${stats.flowId}`} style={{ color: "var(--danger)" }}>{stats.openDeadLetters} dead letter{stats.openDeadLetters === 1 ? "" : "s"}</Link>
          </>
        )}
      </span>
    </div>
  );
}
