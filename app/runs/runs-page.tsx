"use client";
import { CircleSlash, Play } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useRef, useState } from "react";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useTRPC } from "@/app/trpc-client";
import { FilterBar, type FilterField } from "@/app/components/filter-bar";
import { useUrlFilters } from "@/app/components/url-filters";
import { LiveToggle, useLiveSubscription } from "@/app/components/use-live-subscription";
import { RunStatusBadge, formatDuration, runStatusLabels } from "@/app/components/run-status";
import { EmptyState, ErrorState, LoadingRows } from "@/app/components/states";
import type { RunListItem } from "@/server/history/run-search";
import "./runs.css";

const FILTERS = ["key", "flow", "status", "subject", "type", "from", "to", "kind"] as const;
type FilterName = (typeof FILTERS)[number];
const STATUSES = ["succeeded", "failed", "retrying", "held", "dead-lettered", "skipped"] as const;
const PAGE_SIZE = 100;
const ROW_HEIGHT = 48;

/** URL values → the search input (the server validates again and names a bad field). */
function toSearchInput(f: Partial<Record<FilterName, string>>) {
  const date = (v?: string) => (v && !Number.isNaN(new Date(v).getTime()) ? new Date(v) : undefined);
  return {
    key: f.key || undefined,
    flowId: f.flow || undefined,
    status: (STATUSES as readonly string[]).includes(f.status ?? "") ? (f.status as (typeof STATUSES)[number]) : undefined,
    subject: f.subject || undefined,
    eventType: f.type || undefined,
    from: date(f.from),
    to: date(f.to),
    kind: (f.kind === "test" || f.kind === "all" ? f.kind : "production") as "production" | "test" | "all",
  };
}

function byNewest(a: RunListItem, b: RunListItem) {
  const t = new Date(b.startedAt).getTime() - new Date(a.startedAt).getTime();
  return t !== 0 ? t : b.id < a.id ? -1 : b.id > a.id ? 1 : 0;
}

export function RunsPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const { filters, setFilter, clear } = useUrlFilters(FILTERS);
  const input = useMemo(() => toSearchInput(filters), [filters]);
  const flows = useQuery(trpc.flows.list.queryOptions({}));

  const runs = useInfiniteQuery(
    trpc.runs.search.infiniteQueryOptions({ ...input, limit: PAGE_SIZE }, { getNextPageParam: (last) => last.nextCursor ?? undefined }),
  );

  // The live feed sends the newest page of this filter whenever it changes; it overrides the
  // loaded rows it overlaps (status changes) and adds the ones above them (new runs).
  const [head, setHead] = useState<{ filterKey: string; runs: RunListItem[] }>({ filterKey: "", runs: [] });
  const filterKey = JSON.stringify(input);
  const live = useLiveSubscription(
    trpc.runs.live.subscriptionOptions(input, { onData: (data) => setHead({ filterKey, runs: data.runs }) }),
  );

  const loaded = useMemo(() => runs.data?.pages.flatMap((p) => p.runs) ?? [], [runs.data]);
  const rows = useMemo(() => {
    const liveRuns = head.filterKey === filterKey ? head.runs : [];
    const byId = new Map<string, RunListItem>();
    for (const r of loaded) byId.set(r.id, r);
    for (const r of liveRuns) byId.set(r.id, r);
    return [...byId.values()].sort(byNewest);
  }, [loaded, head, filterKey]);

  // More new runs than the live page holds arrived at once: reload instead of showing a gap.
  const { refetch } = runs;
  useEffect(() => {
    const liveRuns = head.filterKey === filterKey ? head.runs : [];
    if (liveRuns.length < 50 || loaded.length === 0) return;
    const ids = new Set(loaded.map((r) => r.id));
    if (!liveRuns.some((r) => ids.has(r.id))) void refetch();
  }, [head, filterKey, loaded, refetch]);

  const flowOptions = [{ value: "", label: "All flows" }, ...(flows.data ?? []).map((f) => ({ value: f.id, label: f.name }))];
  const fields: FilterField[] = [
    { kind: "text", name: "key", label: "SKU, order or key", placeholder: "e.g. SKU-123", width: 170 },
    { kind: "select", name: "flow", label: "Flow", options: flowOptions, width: 170 },
    { kind: "select", name: "status", label: "Status", options: [{ value: "", label: "Any status" }, ...STATUSES.map((s) => ({ value: s, label: runStatusLabels[s]! }))], width: 150 },
    { kind: "text", name: "subject", label: "Ordering key", placeholder: "exact key", width: 130 },
    { kind: "text", name: "type", label: "Event type", placeholder: "e.g. stock.changed", width: 140 },
    { kind: "datetime", name: "from", label: "From" },
    { kind: "datetime", name: "to", label: "To" },
    { kind: "select", name: "kind", label: "Runs", options: [{ value: "", label: "Production" }, { value: "test", label: "Test runs" }, { value: "all", label: "Production and test" }], width: 150 },
  ];
  const filtered = FILTERS.some((f) => filters[f]);

  return (
    <div className="page runs-page">
      <div className="page-inner runs-inner">
        <div className="page-header">
          <div>
            <h1>Runs</h1>
            <p className="muted" style={{ margin: "4px 0 0" }}>Every run of every flow, newest first. Open one to see its steps.</p>
          </div>
          <span className="spacer" />
          <LiveToggle state={live.state} paused={live.paused} onToggle={() => live.setPaused(!live.paused)} />
        </div>

        <div className="card">
          <FilterBar fields={fields} values={filters} onChange={(name, value) => setFilter(name as FilterName, value)} onClear={clear} />
        </div>

        <div className="card runs-card">
          {runs.isPending ? (
            <LoadingRows rows={6} label="Loading runs" />
          ) : runs.isError ? (
            <div className="card-body"><ErrorState message={`Could not load runs: ${runs.error.message}`} onRetry={() => void runs.refetch()} /></div>
          ) : rows.length === 0 ? (
            filtered ? (
              <EmptyState icon={CircleSlash} title="No runs match these filters" action={<button className="btn" onClick={clear}>Clear filters</button>}>
                {filters.key ? <>Nothing ran for “{filters.key}”. Keys match exactly, e.g. SKU-123 or an order id.</> : "Try a wider time range or another status."}
              </EmptyState>
            ) : (
              <EmptyState icon={Play} title="No runs yet" action={<Link className="btn" href="/">Go to flows</Link>}>
                Runs appear here as soon as an enabled, published flow receives an event (POST /api/events). This list updates live.
              </EmptyState>
            )
          ) : (
            <RunTable
              rows={rows}
              hasMore={!!runs.hasNextPage}
              loadingMore={runs.isFetchingNextPage}
              onLoadMore={() => void runs.fetchNextPage()}
              onOpen={(id) => router.push(`/runs/${id}`)}
            />
          )}
        </div>
      </div>
    </div>
  );
}

function RunTable({ rows, hasMore, loadingMore, onLoadMore, onOpen }: {
  rows: RunListItem[]; hasMore: boolean; loadingMore: boolean; onLoadMore: () => void; onOpen: (id: string) => void;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length + (hasMore ? 1 : 0), getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? 0;
  useEffect(() => {
    if (hasMore && !loadingMore && lastIndex >= rows.length - 1) onLoadMore();
  }, [hasMore, loadingMore, lastIndex, rows.length, onLoadMore]);

  return (
    <div className="runs-table">
    <div className="runs-grid" role="table" aria-label="Runs" aria-rowcount={rows.length + 1}>
      <div role="rowgroup">
        <div className="runs-row runs-head" role="row" aria-rowindex={1}>
          {["Status", "Flow", "Ordering key", "Event type", "Started", "Duration", "Attempts"].map((h) => (
            <div key={h} role="columnheader">{h}</div>
          ))}
        </div>
      </div>
      <div ref={scrollRef} className="runs-scroll" role="rowgroup" data-testid="runs-scroll" tabIndex={0} aria-label="Run rows">
        <div role="presentation" style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {items.map((item) => {
            const run = rows[item.index];
            if (!run) {
              return (
                <div key="more" className="runs-row runs-more" role="row" style={{ transform: `translateY(${item.start}px)` }}>
                  <div role="cell" className="muted small">{loadingMore ? "Loading more runs…" : "Scroll for more"}</div>
                </div>
              );
            }
            return (
              <div
                key={run.id}
                className="runs-row"
                role="row"
                aria-rowindex={item.index + 2}
                data-testid="run-row"
                data-run-id={run.id}
                style={{ transform: `translateY(${item.start}px)` }}
                onClick={(e) => { if (!(e.target as HTMLElement).closest("a")) onOpen(run.id); }}
              >
                <div role="cell">
                  <RunStatusBadge status={run.status} />
                  {run.test && <span className="badge badge-accent" style={{ marginLeft: 6 }}>test</span>}
                </div>
                <div role="cell" className="runs-flow">
                  <Link href={`/runs/${run.id}`} title={`Open run ${run.id}`}>{run.flowName ?? "Deleted flow"}</Link>
                  <span className="muted small"> v{run.flowVersion}</span>
                </div>
                <div role="cell" className="mono runs-ellipsis" title={run.orderingKey}>{run.orderingKey}</div>
                <div role="cell" className="mono runs-ellipsis small">{run.eventType}</div>
                <div role="cell" className="small" title={new Date(run.startedAt).toISOString()}>{new Date(run.startedAt).toLocaleString()}</div>
                <div role="cell" className="small">{run.finishedAt ? formatDuration(run.durationMs) : <span className="muted">running</span>}</div>
                <div role="cell" className="small">{run.attempts}</div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
      <div className="runs-foot small muted" aria-live="polite">
        {rows.length.toLocaleString()} run{rows.length === 1 ? "" : "s"} loaded{hasMore ? " · scroll for more" : ""}
      </div>
    </div>
  );
}
