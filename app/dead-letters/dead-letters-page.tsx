"use client";
import { LetterOwner } from "./letter-owner";
import { Archive, CircleCheck, SearchX } from "lucide-react";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { EmptyState, ErrorState, LoadingRows } from "@/app/components/states";
import { useTRPC } from "@/app/trpc-client";
import { BulkRedriveDialog } from "./bulk-redrive-dialog";
import { DeadLetterDetail } from "./dead-letter-detail";
import { DiscardDialog } from "./discard-dialog";
import { age, errorClassLabels, errorClasses, type BulkSelection, type InboxFilter, type InboxGroup } from "./types";

const ages = [["1h", "Last hour"], ["24h", "Last 24 hours"], ["7d", "Last 7 days"], ["older", "Older than 7 days"]] as const;
const FILTER_KEYS = ["flowId", "subject", "nodeId", "errorClass", "age"] as const;

/** The inbox filter, kept in the URL so a filtered view can be shared and survives a reload. */
function useInboxFilter() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const filter = useMemo(() => {
    const f: Record<string, string> = {};
    for (const key of FILTER_KEYS) {
      const value = params.get(key);
      if (value) f[key] = value;
    }
    return f as InboxFilter;
  }, [params]);
  const setParam = (key: string, value: string) => {
    const next = new URLSearchParams(params.toString());
    if (value) next.set(key, value);
    else next.delete(key);
    router.replace(`${pathname}${next.size ? `?${next}` : ""}`, { scroll: false });
  };
  return { filter, tab: params.get("tab") === "resolved" ? "resolved" : "open", setParam, filtered: FILTER_KEYS.some((k) => params.get(k)), linked: params.get("open") };
}

function GroupCard({ group, selected, toggle, toggleAll, onOpen }: {
  group: InboxGroup;
  selected: Set<string>;
  toggle: (id: string) => void;
  toggleAll: (ids: string[], on: boolean) => void;
  onOpen: (id: string) => void;
}) {
  const ids = group.letters.map((l) => l.id);
  const all = ids.every((id) => selected.has(id));
  const flow = group.flowName ?? group.flowId;
  return (
    <section className="card" data-testid="dead-letter-group" aria-label={`${group.orderingKey} in ${flow}`}>
      <header className="card-body" style={{ display: "flex", alignItems: "center", gap: 12, borderBottom: "1px solid var(--border)", flexWrap: "wrap" }}>
        <input type="checkbox" aria-label={`Select all of ${group.orderingKey} in ${flow}`} checked={all} onChange={(e) => toggleAll(ids, e.target.checked)} />
        <h2 style={{ fontSize: 15 }}>
          <Link href={`/keys/${encodeURIComponent(group.orderingKey)}`} style={{ textDecoration: "underline" }}>{group.orderingKey}</Link> <span className="muted">{group.source ? "from" : "in"}</span> <LetterOwner letter={group} withVersion={false} />
        </h2>
        <span className="badge badge-danger" data-testid="group-count">{group.letters.length} dead {group.letters.length === 1 ? "letter" : "letters"}</span>
        <span style={{ flex: 1 }} />
        {group.held ? (
          <span className="badge badge-warning" data-testid="held-count" title={`oldest waiting ${age(group.held.oldestAt)}`}>
            {group.orderingKey} in {flow}: {group.held.count} {group.held.count === 1 ? "event" : "events"} waiting behind this dead letter · oldest {age(group.held.oldestAt)}
          </span>
        ) : (
          <span className="muted small">nothing waiting behind it</span>
        )}
      </header>
      <table className="table">
        <thead>
          <tr><th style={{ width: 36 }}><span className="sr-only">Select</span></th><th>Event</th><th>Node</th><th>Error</th><th>Attempts</th><th>Age</th><th><span className="sr-only">Actions</span></th></tr>
        </thead>
        <tbody>
          {group.letters.map((l) => (
            <tr key={l.id} data-testid="dead-letter-row">
              <td><input type="checkbox" aria-label={`Select ${l.eventId}`} checked={selected.has(l.id)} onChange={() => toggle(l.id)} /></td>
              <td className="small"><code>{l.eventId}</code><div className="muted">#{l.sequence}</div></td>
              <td><code>{l.nodeId ?? "—"}</code></td>
              <td className="small" style={{ maxWidth: 380 }}>
                <span className="badge" style={{ marginRight: 6 }}>{errorClassLabels[l.errorClass]}</span>
                <span style={{ overflowWrap: "anywhere" }}>{l.error.length > 160 ? `${l.error.slice(0, 160)}…` : l.error}</span>
                {l.status === "redrive-requested" && <div><span className="badge badge-accent">redrive requested</span></div>}
              </td>
              <td>{l.attemptCount}</td>
              <td className="small">{age(l.createdAt)}</td>
              <td><button className="btn btn-sm" onClick={() => onOpen(l.id)} aria-label={`Open ${l.eventId}`}>Open</button></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Filters({ filter, setParam, facets }: { filter: InboxFilter; setParam: (k: string, v: string) => void; facets?: { flows: { id: string; name: string | null }[]; nodes: string[] } }) {
  const [subject, setSubject] = useState(filter.subject ?? "");
  return (
    <form
      className="card card-body" role="search" aria-label="Filter dead letters"
      style={{ display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(160px, 1fr))", gap: 12, alignItems: "end" }}
      onSubmit={(e) => { e.preventDefault(); setParam("subject", subject.trim()); }}
    >
      <div className="field">
        <label htmlFor="f-flow">Flow</label>
        <select id="f-flow" className="select" value={filter.flowId ?? ""} onChange={(e) => setParam("flowId", e.target.value)}>
          <option value="">All flows</option>
          {facets?.flows.map((f) => <option key={f.id} value={f.id}>{f.name ?? f.id}</option>)}
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-subject">Ordering key</label>
        <input id="f-subject" className="input" value={subject} placeholder="e.g. SKU-1" onChange={(e) => setSubject(e.target.value)} onBlur={() => setParam("subject", subject.trim())} />
      </div>
      <div className="field">
        <label htmlFor="f-node">Node</label>
        <select id="f-node" className="select" value={filter.nodeId ?? ""} onChange={(e) => setParam("nodeId", e.target.value)}>
          <option value="">All nodes</option>
          {facets?.nodes.map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-error">Error class</label>
        <select id="f-error" className="select" value={filter.errorClass ?? ""} onChange={(e) => setParam("errorClass", e.target.value)}>
          <option value="">All errors</option>
          {errorClasses.map((c) => <option key={c} value={c}>{errorClassLabels[c]}</option>)}
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-age">Age</label>
        <select id="f-age" className="select" value={filter.age ?? ""} onChange={(e) => setParam("age", e.target.value)}>
          <option value="">Any age</option>
          {ages.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
        </select>
      </div>
    </form>
  );
}

function ResolvedTab() {
  const trpc = useTRPC();
  const resolved = useQuery({ ...trpc.deadLetters.resolved.queryOptions({}), refetchInterval: 5_000 });
  if (resolved.isPending) return <section className="card"><LoadingRows label="Loading resolved dead letters" /></section>;
  if (resolved.isError) return <ErrorState message={`Could not load resolved dead letters: ${resolved.error.message}`} onRetry={() => void resolved.refetch()} />;
  if (resolved.data.length === 0) {
    return <section className="card"><EmptyState icon={Archive} title="Nothing resolved yet">Dead letters you redrive or discard are listed here.</EmptyState></section>;
  }
  return (
    <section className="card">
      <table className="table" aria-label="Resolved dead letters">
        <thead><tr><th>What</th><th>Key</th><th>Flow</th><th>Event</th><th>When</th><th>Who</th><th>Last error</th></tr></thead>
        <tbody>
          {resolved.data.map((l) => (
            <tr key={l.id} data-testid="resolved-row">
              <td>
                <span className={`badge ${l.resolution === "redriven" ? "badge-success" : ""}`}>{l.resolution === "discard-requested" ? "discarding held events…" : l.resolution}</span>
                {l.heldBehind && <div className="small muted">held event, discarded with its dead letter</div>}
              </td>
              <td><Link href={`/keys/${encodeURIComponent(l.orderingKey)}`}>{l.orderingKey}</Link></td>
              <td><LetterOwner letter={l} /></td>
              <td className="small"><code>{l.eventId}</code></td>
              <td className="small">{new Date(l.resolvedAt).toLocaleString()}</td>
              <td className="small">{l.resolvedBy ?? <span className="muted">not recorded</span>}</td>
              <td className="small" style={{ maxWidth: 300, overflowWrap: "anywhere" }}>{l.error}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function DeadLettersPage() {
  const trpc = useTRPC();
  const { filter, tab, setParam, filtered, linked } = useInboxFilter();
  const inbox = useQuery({ ...trpc.deadLetters.inbox.queryOptions(filter), refetchInterval: 5_000, placeholderData: (previous) => previous });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  // `?open=<id>` (the /dead-letters/{id} link in alerts) opens that letter.
  const [openId, setOpenId] = useState<string | null>(linked);
  const [bulk, setBulk] = useState<{ selection: BulkSelection; description: string } | null>(null);
  const [discarding, setDiscarding] = useState(false);

  const groups = inbox.data?.groups ?? [];
  const letters = groups.flatMap((g) => g.letters.map((l) => ({ ...l, held: g.held?.count ?? 0 })));
  const visibleSelected = letters.filter((l) => selected.has(l.id));
  const toggle = (id: string) => setSelected((s) => { const n = new Set(s); if (n.has(id)) n.delete(id); else n.add(id); return n; });
  const toggleAll = (ids: string[], on: boolean) => setSelected((s) => { const n = new Set(s); for (const id of ids) if (on) n.add(id); else n.delete(id); return n; });
  const total = inbox.data?.total ?? 0;

  return (
    <div className="page">
      <div className="page-inner" style={{ maxWidth: 1280 }}>
        <div className="page-header">
          <div style={{ flex: 1 }}>
            <h1>Dead letters</h1>
            <p className="muted" style={{ margin: "4px 0 0" }}>
              Events a flow could not finish. Fix the payload and redrive, or discard; while a key has an open dead letter, its later events wait so the order holds.
            </p>
          </div>
        </div>
        <div role="tablist" aria-label="Dead letter lists" style={{ display: "flex", gap: 4, borderBottom: "1px solid var(--border)" }}>
          {([["open", `Open${inbox.data ? ` (${total})` : ""}`], ["resolved", "Resolved"]] as const).map(([value, label]) => (
            <button
              key={value} role="tab" aria-selected={tab === value} className="btn btn-ghost"
              style={{ borderRadius: "8px 8px 0 0", borderBottom: tab === value ? "2px solid var(--accent)" : "2px solid transparent" }}
              onClick={() => setParam("tab", value === "open" ? "" : value)}
            >{label}</button>
          ))}
        </div>
        {tab === "resolved" ? (
          <div role="tabpanel" aria-label="Resolved"><ResolvedTab /></div>
        ) : (
          <div role="tabpanel" aria-label="Open" style={{ display: "flex", flexDirection: "column", gap: 16 }}>
            <Filters filter={filter} setParam={setParam} facets={inbox.data?.facets} />
            <div className="page-header" aria-label="Bulk actions">
              <span className="muted">
                {inbox.data ? `${total} open in ${groups.length} ${groups.length === 1 ? "key" : "keys"}${inbox.data.truncated ? " (showing the first 1,000: narrow the filter)" : ""}` : ""}
              </span>
              <span className="spacer" />
              {visibleSelected.length > 0 && <span data-testid="selected-count">{visibleSelected.length} selected</span>}
              <button className="btn" disabled={visibleSelected.length === 0} onClick={() => setDiscarding(true)}>Discard selected…</button>
              <button
                className="btn" disabled={visibleSelected.length === 0}
                onClick={() => setBulk({ selection: { ids: visibleSelected.map((l) => l.id) }, description: `${visibleSelected.length} selected dead ${visibleSelected.length === 1 ? "letter" : "letters"}` })}
              >Redrive selected…</button>
              <button
                className="btn btn-primary" disabled={total === 0}
                onClick={() => setBulk({ selection: { filter }, description: filtered ? `Every open dead letter matching the filter (${total})` : `Every open dead letter (${total})` })}
              >{filtered ? "Redrive all matching…" : "Redrive all…"}</button>
            </div>
            {inbox.isPending ? (
              <section className="card"><LoadingRows rows={4} label="Loading dead letters" /></section>
            ) : inbox.isError ? (
              <ErrorState message={`Could not load dead letters: ${inbox.error.message}`} onRetry={() => void inbox.refetch()} />
            ) : groups.length === 0 ? (
              <section className="card">
                {filtered ? (
                  <EmptyState icon={SearchX} title="No dead letters match" action={<Link className="btn" href="/dead-letters">Clear the filters</Link>}>Try another flow, key or age.</EmptyState>
                ) : (
                  <EmptyState icon={CircleCheck} title="No open dead letters">Every event reached its flows' actions. When one fails for good, it shows up here with everything needed to fix and redrive it.</EmptyState>
                )}
              </section>
            ) : (
              groups.map((group) => (
                <GroupCard key={`${group.flowId}\n${group.orderingKey}`} group={group} selected={selected} toggle={toggle} toggleAll={toggleAll} onOpen={setOpenId} />
              ))
            )}
          </div>
        )}
      </div>
      {openId && <DeadLetterDetail id={openId} onClose={() => setOpenId(null)} />}
      {bulk && <BulkRedriveDialog selection={bulk.selection} description={bulk.description} onClose={() => { setBulk(null); setSelected(new Set()); }} />}
      {discarding && (
        <DiscardDialog
          letters={visibleSelected.map((l) => ({ id: l.id, flowId: l.flowId, orderingKey: l.orderingKey, held: l.held }))}
          onCancel={() => setDiscarding(false)}
          onDone={() => { setDiscarding(false); setSelected(new Set()); }}
        />
      )}
    </div>
  );
}
