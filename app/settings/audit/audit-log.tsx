"use client";
import { ScrollText } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/trpc-client";
import { EmptyState, ErrorState, LoadingRows } from "@/app/components/states";
import { AUDIT_ACTION_LABELS } from "./audit-labels";

type Action = keyof typeof AUDIT_ACTION_LABELS;
const TARGET_TYPES = ["flow", "deadLetter", "credential", "channel", "apiKey", "user", "invite"] as const;
type TargetType = (typeof TARGET_TYPES)[number];

export function AuditLog() {
  const trpc = useTRPC();
  const [action, setAction] = useState<Action | "">("");
  const [actorId, setActorId] = useState("");
  const [targetType, setTargetType] = useState<TargetType | "">("");
  const actors = useQuery(trpc.audit.actors.queryOptions());
  const filter = { ...(action ? { action } : {}), ...(actorId ? { actorId } : {}), ...(targetType ? { targetType } : {}) };
  const entries = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(filter, { getNextPageParam: (last) => last.nextCursor ?? undefined, initialCursor: undefined }),
  );
  const rows = entries.data?.pages.flatMap((p) => p.entries) ?? [];

  return (
    <div className="page">
      <div className="page-inner">
        <div className="page-header">
          <div>
            <h1>Audit log</h1>
            <p className="muted" style={{ margin: "4px 0 0" }}>Who published flows, redrove or discarded dead letters, and changed credentials, channels, API keys and users.</p>
          </div>
          <span className="spacer" />
          <Link className="btn" href="/settings">Back to Settings</Link>
        </div>
        <div className="card">
          <div className="card-body" style={{ display: "flex", gap: 12, flexWrap: "wrap" }} role="group" aria-label="Filters">
            <div className="field" style={{ minWidth: 220 }}>
              <label htmlFor="audit-action">Action</label>
              <select id="audit-action" className="select" value={action} onChange={(e) => setAction(e.target.value as Action | "")}>
                <option value="">All actions</option>
                {Object.entries(AUDIT_ACTION_LABELS).map(([value, label]) => <option key={value} value={value}>{label}</option>)}
              </select>
            </div>
            <div className="field" style={{ minWidth: 220 }}>
              <label htmlFor="audit-actor">Who</label>
              <select id="audit-actor" className="select" value={actorId} onChange={(e) => setActorId(e.target.value)}>
                <option value="">Everyone</option>
                {actors.data?.map((a) => <option key={a.id} value={a.id}>{a.label}</option>)}
              </select>
            </div>
            <div className="field" style={{ minWidth: 180 }}>
              <label htmlFor="audit-target">What</label>
              <select id="audit-target" className="select" value={targetType} onChange={(e) => setTargetType(e.target.value as TargetType | "")}>
                <option value="">Everything</option>
                {TARGET_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
              </select>
            </div>
          </div>
          {entries.isPending ? (
            <LoadingRows rows={3} label="Loading the audit log" />
          ) : entries.isError ? (
            <div className="card-body"><ErrorState message={`Could not load the audit log: ${entries.error.message}`} onRetry={() => void entries.refetch()} /></div>
          ) : rows.length === 0 ? (
            <EmptyState icon={ScrollText} title="Nothing recorded yet">{Object.keys(filter).length ? "No entries match these filters." : "Changes show up here as people make them."}</EmptyState>
          ) : (
            <table className="table" data-testid="audit-table">
              <thead><tr><th>When</th><th>Who</th><th>What</th><th>Target</th><th>Details</th></tr></thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.id}>
                    <td className="muted">{new Date(row.at).toLocaleString()}</td>
                    <td>{row.actorLabel}</td>
                    <td>{AUDIT_ACTION_LABELS[row.action as Action] ?? row.action}</td>
                    <td><code>{row.targetType}</code> <span className="mono small">{row.targetId}</span></td>
                    <td className="mono small">{JSON.stringify(row.detail) === "{}" ? "" : JSON.stringify(row.detail)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {entries.hasNextPage && (
            <div className="card-body"><button className="btn" onClick={() => void entries.fetchNextPage()} disabled={entries.isFetchingNextPage}>{entries.isFetchingNextPage ? "Loading…" : "Show older"}</button></div>
          )}
        </div>
      </div>
    </div>
  );
}
