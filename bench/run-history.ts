// Run history figure (target: list query p95 ≤ 50 ms with 1 M runs stored). Seeds the bench's own
// database with a realistic million runs in one INSERT … SELECT, then times listRuns — the code
// behind the runs page, GET /api/runs and tRPC — for the queries the UI actually sends.
import { performance } from "node:perf_hooks";
import pg from "pg";
import { createPrismaClient } from "../server/db/create-client";
import { listRuns, runStatuses, type RunListFilter } from "../server/history/run-history";
import { searchRuns } from "../server/history/run-search";

export interface RunHistoryOptions {
  /** Runs to store before measuring (default 1,000,000). */
  rows?: number;
  /** Timed listRuns calls, spread over the query mix (default 200). */
  samples?: number;
}

export interface RunHistoryFigures {
  /** Runs in the table while measuring. */
  rows: number;
  /** Seeding: the INSERT, rebuilding the indexes, VACUUM ANALYZE. */
  seedSeconds: number;
  /** Latency of one listRuns call (both of its queries, through Prisma), over all samples. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Each query kind of the mix with its own sample count and percentiles. */
  queries: string[];
  /** The search box: searchRuns({ key }) for a hot SKU, a cold SKU, an order id and a miss. */
  businessKeySearch: { p50Ms: number; p95Ms: number; p99Ms: number; queries: string[] };
}

const FLOWS = 50;
const KEYS = 100_000;
/** A fifth of the events concern these few keys (bestsellers), so some keys have long histories. */
const HOT_KEYS = 1_000;
const DAYS = 30;

const flowId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const sku = (n: number) => `SKU-${String(n).padStart(6, "0")}`;

// Status mix of a healthy installation: almost everything succeeds.
const STATUS_SQL = `CASE
  WHEN r_status < 0.955 THEN 'succeeded'
  WHEN r_status < 0.965 THEN 'failed'
  WHEN r_status < 0.980 THEN 'dead-lettered'
  WHEN r_status < 0.987 THEN 'retrying'
  WHEN r_status < 0.990 THEN 'held'
  ELSE 'skipped' END`;

/**
 * One statement: flows skewed (flow 0 gets ~14% of runs, flow 49 ~0.3%), keys 20% hot, startedAt
 * rising with the stream sequence over the last 30 days (runs are written as events arrive), and
 * random uuids for ids and event ids as the app writes them.
 */
function seedSql(rows: number): string {
  return `
WITH s AS (
  SELECT i,
    floor(${FLOWS} * power(random(), 2))::int AS flow,
    CASE WHEN random() < 0.2 THEN floor(random() * ${HOT_KEYS})::int ELSE floor(random() * ${KEYS})::int END AS key,
    random() AS r_status,
    (5 + floor(random() * 400))::int AS duration_ms,
    -- Columns are timestamp without time zone holding UTC (what Prisma reads and writes).
    (now() AT TIME ZONE 'UTC') - interval '${DAYS} days' + interval '1 hour'
      + (i::double precision / ${rows}) * (interval '${DAYS} days' - interval '2 hours')
      + random() * interval '2 seconds' AS started_at
  FROM generate_series(1, ${rows}) AS g(i)
), t AS (
  SELECT s.*, ${STATUS_SQL} AS status, 'SKU-' || lpad(key::text, 6, '0') AS subject,
    '00000000-0000-4000-8000-' || lpad(flow::text, 12, '0') AS flow_id
  FROM s
)
INSERT INTO "Run" ("id", "flowId", "flowVersion", "eventId", "eventType", "orderingKey", "status", "attempts",
                   "traceId", "sequence", "startedAt", "finishedAt", "error", "steps", "businessKeys")
SELECT
  gen_random_uuid()::text,
  flow_id,
  1 + flow % 3,
  gen_random_uuid()::text,
  'stock.changed',
  subject,
  status,
  CASE status WHEN 'succeeded' THEN 1 WHEN 'skipped' THEN 1 WHEN 'dead-lettered' THEN 5 ELSE 2 + i % 3 END,
  md5(i::text),
  i,
  started_at,
  CASE WHEN status IN ('retrying', 'held') THEN NULL ELSE started_at + duration_ms * interval '1 millisecond' END,
  CASE WHEN status IN ('failed', 'dead-lettered', 'retrying') THEN 'HTTP 503 from https://shop.example.com/api/stock: Service Unavailable' END,
  jsonb_build_array(
    jsonb_build_object('nodeId', 'trigger', 'kind', 'trigger:stock.changed', 'status', 'succeeded', 'attempts', 1,
      'input', jsonb_build_object('sku', subject, 'quantity', i % 500)),
    jsonb_build_object('nodeId', 'n1', 'kind', 'action:http-request', 'status',
      CASE status WHEN 'succeeded' THEN 'succeeded' WHEN 'skipped' THEN 'skipped' ELSE 'failed' END, 'attempts', 1,
      'output', CASE WHEN status = 'succeeded' THEN jsonb_build_object('status', 200) END)
  ),
  -- What the worker stores: the ordering key, plus an order id on every tenth run (orders whose
  -- lines carry the SKU), so the GIN index holds ~1.1 keys per run.
  CASE WHEN i % 10 = 0 THEN ARRAY['ORDER-' || lpad(i::text, 8, '0'), subject] ELSE ARRAY[subject] END
FROM t`;
}

/**
 * Inserts `rows` runs. A million random-uuid entries going one by one into six btrees is most of
 * the cost of a plain INSERT (the indexes outgrow shared_buffers), so the table's indexes are
 * dropped first and rebuilt afterwards from their own definitions, sorted in bulk: about half the
 * time. All in one transaction, so a failure leaves the table as it was.
 */
async function seedRuns(client: pg.Client, rows: number): Promise<void> {
  const table = `'"Run"'::regclass`;
  // Constraint-backed indexes (the primary key) go through their constraint; skipped if another
  // table's foreign key depends on them.
  const { rows: indexes } = await client.query<{ name: string; indexdef: string; conname: string | null; condef: string | null }>(
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS indexdef,
            c.conname, pg_get_constraintdef(c.oid) AS condef
       FROM pg_index i
       LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
      WHERE i.indrelid = ${table}
        AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid AND f.conrelid <> i.indrelid)`,
  );
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  await client.query("BEGIN");
  try {
    await client.query("SET LOCAL maintenance_work_mem = '256MB'");
    for (const index of indexes) {
      await client.query(index.conname ? `ALTER TABLE "Run" DROP CONSTRAINT ${quote(index.conname)}` : `DROP INDEX ${index.name}`);
    }
    await client.query(seedSql(rows));
    for (const index of indexes) {
      await client.query(index.conname ? `ALTER TABLE "Run" ADD CONSTRAINT ${quote(index.conname)} ${index.condef}` : index.indexdef);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

interface Kind {
  name: string;
  filter: () => Omit<RunListFilter, "cursor" | "limit">;
  /** Time the page after the first (the first one fetched untimed for its cursor). */
  secondPage: boolean;
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const anyFlow = () => flowId(Math.floor(Math.random() * FLOWS));
// Second pages need keys with more than one page of history: the hot ones.
const anyKey = (hot: boolean) => sku(Math.floor(Math.random() * (hot ? HOT_KEYS : KEYS)));
const listedStatuses = runStatuses.filter((s) => s !== "succeeded");

const kinds: Kind[] = [
  { name: "newest, no filter", filter: () => ({}), secondPage: false },
  { name: "by flow", filter: () => ({ flowId: anyFlow() }), secondPage: false },
  { name: "by subject", filter: () => ({ subject: anyKey(Math.random() < 0.5) }), secondPage: false },
  { name: "by status", filter: () => ({ status: pick(runStatuses) }), secondPage: false },
  // The page an operator opens: one flow's failures.
  { name: "by flow + status", filter: () => ({ flowId: anyFlow(), status: pick(listedStatuses) }), secondPage: false },
  { name: "newest, no filter, page 2", filter: () => ({}), secondPage: true },
  { name: "by flow, page 2", filter: () => ({ flowId: anyFlow() }), secondPage: true },
  { name: "by subject, page 2", filter: () => ({ subject: anyKey(true) }), secondPage: true },
  { name: "by status, page 2", filter: () => ({ status: pick(runStatuses) }), secondPage: true },
  { name: "by flow + status, page 2", filter: () => ({ flowId: anyFlow(), status: pick(listedStatuses) }), secondPage: true },
];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (n: number) => Number(n.toFixed(1));

export async function measureRunHistory(databaseUrl: string, opts: RunHistoryOptions = {}): Promise<RunHistoryFigures> {
  const rows = opts.rows ?? 1_000_000;
  const samples = opts.samples ?? 200;

  const seedStart = performance.now();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let stored: number;
  try {
    await client.query("SET statement_timeout = 0");
    // Real flows, so listRuns' name lookup finds what it would in production. Disabled and
    // unpublished: a worker running against this database ignores them.
    await client.query(
      `INSERT INTO "Flow" ("id", "name", "enabled", "draft", "updatedAt")
       SELECT '00000000-0000-4000-8000-' || lpad(n::text, 12, '0'), 'Run history benchmark flow ' || n, false,
         jsonb_build_object('schemaVersion', 1, 'name', 'Run history benchmark flow ' || n,
           'nodes', jsonb_build_array(jsonb_build_object('id', 'trigger', 'kind', 'trigger:stock.changed', 'version', 1,
             'config', '{}'::jsonb, 'position', jsonb_build_object('x', 0, 'y', 0))),
           'edges', '[]'::jsonb, 'settings', jsonb_build_object('orderingPolicy', 'hold')),
         now() AT TIME ZONE 'UTC'
       FROM generate_series(0, ${FLOWS - 1}) AS n
       ON CONFLICT ("id") DO NOTHING`,
    );
    await seedRuns(client, rows);
    // VACUUM as well as ANALYZE: a long-lived table has been vacuumed by autovacuum (visibility
    // map set, hint bits written); without it the first reads pay for that, and autovacuum would
    // start on the fresh million rows in the middle of the measurement.
    await client.query(`VACUUM (ANALYZE) "Run"`);
    const counted = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM "Run"`);
    stored = Number(counted.rows[0]!.n);
  } finally {
    await client.end();
  }
  const seedSeconds = (performance.now() - seedStart) / 1000;

  const db = createPrismaClient(databaseUrl);
  try {
    const once = async (kind: Kind): Promise<number | undefined> => {
      const filter = kind.filter();
      let cursor: string | undefined;
      if (kind.secondPage) {
        const first = await listRuns(db, filter);
        if (!first.nextCursor) return undefined;
        cursor = first.nextCursor;
      }
      const started = performance.now();
      await listRuns(db, { ...filter, ...(cursor ? { cursor } : {}) });
      return performance.now() - started;
    };

    // Warm-up: connection pool, Prisma's query compiler, Postgres' plan and buffer caches for
    // each query shape. Not counted.
    for (let pass = 0; pass < 3; pass++) for (const kind of kinds) await once(kind);

    const all: number[] = [];
    const byKind = new Map<string, number[]>(kinds.map((k) => [k.name, []]));
    for (let i = 0; i < samples; i++) {
      const kind = kinds[i % kinds.length]!;
      let ms: number | undefined;
      // A filter without a second page (a rare flow's rare status) is drawn again.
      for (let attempt = 0; ms === undefined && attempt < 20; attempt++) ms = await once(kind);
      if (ms === undefined) continue;
      all.push(ms);
      byKind.get(kind.name)!.push(ms);
    }
    // The business-key search box: exact keys through the GIN index on Run.businessKeys.
    const searchKinds: { name: string; key: () => string }[] = [
      { name: "hot SKU", key: () => anyKey(true) },
      { name: "cold SKU", key: () => anyKey(false) },
      { name: "order id", key: () => `ORDER-${String(10 * (1 + Math.floor(Math.random() * (stored / 10 - 1)))).padStart(8, "0")}` },
      { name: "no match", key: () => `SKU-MISSING-${Math.floor(Math.random() * 1e6)}` },
    ];
    const search = async (kind: (typeof searchKinds)[number]) => {
      const started = performance.now();
      await searchRuns(db, { key: kind.key(), kind: "all" });
      return performance.now() - started;
    };
    for (let pass = 0; pass < 3; pass++) for (const kind of searchKinds) await search(kind);
    const searchAll: number[] = [];
    const searchByKind = new Map<string, number[]>(searchKinds.map((k) => [k.name, []]));
    for (let i = 0; i < samples; i++) {
      const kind = searchKinds[i % searchKinds.length]!;
      const ms = await search(kind);
      searchAll.push(ms);
      searchByKind.get(kind.name)!.push(ms);
    }
    searchAll.sort((a, b) => a - b);
    const searchQueries = searchKinds.map((kind) => {
      const times = searchByKind.get(kind.name)!.sort((a, b) => a - b);
      return `${kind.name}: n=${times.length}, p50 ${round(percentile(times, 50))} ms, p95 ${round(percentile(times, 95))} ms, max ${round(times.at(-1) ?? NaN)} ms`;
    });

    all.sort((a, b) => a - b);
    const queries = kinds.map((kind) => {
      const times = byKind.get(kind.name)!.sort((a, b) => a - b);
      return `${kind.name}: n=${times.length}, p50 ${round(percentile(times, 50))} ms, p95 ${round(percentile(times, 95))} ms, max ${round(times.at(-1) ?? NaN)} ms`;
    });
    return {
      rows: stored,
      seedSeconds: round(seedSeconds),
      p50Ms: round(percentile(all, 50)),
      p95Ms: round(percentile(all, 95)),
      p99Ms: round(percentile(all, 99)),
      queries,
      businessKeySearch: {
        p50Ms: round(percentile(searchAll, 50)),
        p95Ms: round(percentile(searchAll, 95)),
        p99Ms: round(percentile(searchAll, 99)),
        queries: searchQueries,
      },
    };
  } finally {
    await db.$disconnect();
  }
}
