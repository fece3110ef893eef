import "server-only";
import type { Pool } from "pg";
import { LostLeaseError, type Lease } from "./partition-leases";
import type { DeadLetterInsert, HeldInsert, HeldState, RunInsert } from "./outcome-rows";

// The one writer of everything the runtime persists: a batch's outcomes, a lane's settled queue
// head, a redrive's result. Each commit is ONE statement (one round trip, one implicit
// transaction) made of data-modifying CTEs that only touch rows when the fencing update of the
// partition row matched (partition, owner, epoch): a worker that lost its lease writes nothing at
// all and gets LostLeaseError. Plain SQL with one jsonb array of rows per table keeps the parameter count fixed
// however many rows a batch has; at thousands of events per second the ORM's row-by-row
// statements and BEGIN/COMMIT round trips are where the time would go.

/** Columns of a run to change; absent ones keep their value. */
export interface RunUpdate {
  id: string;
  status?: string;
  attempts?: number;
  steps?: unknown;
  finishedAt?: Date | null;
  error?: string | null;
  /** Every failed try so far (see AttemptRecord). */
  errors?: unknown;
}

/** Columns of a queued event to change; absent ones keep their value. */
export interface HeldUpdate {
  id: bigint;
  state?: HeldState;
  attempts?: number;
  errors?: unknown;
  nextAttemptAt?: Date;
  firstFailedAt?: Date | null;
  steps?: unknown;
}

/**
 * The end of a redrive. Applied only while the letter is still `redrive-requested` (someone may
 * have discarded it meanwhile); its run is updated only if the letter was.
 */
export interface RedriveSettlement {
  deadLetterId: string;
  status: "redriven" | "open";
  attempts?: unknown;
  error?: string;
  run?: Omit<RunUpdate, "id">;
}

export interface OutcomeRows {
  /** Moves the partition's cursor forward (never back); absent: only the fence. */
  cursor?: bigint;
  /**
   * Notes the event an owner is about to run uncommitted (crash-loop watch after a worker died).
   * A cursor that reaches the noted event clears the note.
   */
  running?: { sequence: bigint; deaths: number };
  runs?: RunInsert[];
  processed?: { eventId: string; flowId: string }[];
  /** Appended to their keys' queues in this order. */
  held?: HeldInsert[];
  deadLetters?: DeadLetterInsert[];
  runUpdates?: RunUpdate[];
  heldUpdates?: HeldUpdate[];
  heldDeletes?: bigint[];
  redrive?: RedriveSettlement;
  /** Ends a discard "with the held events too": the letter goes from `discard-requested` to `discarded`. */
  discard?: { deadLetterId: string };
}

type SqlType = "text" | "int" | "bigint" | "timestamp" | "jsonb" | "bool";
interface Column<T> {
  name: string;
  key: keyof T & string;
  type: SqlType;
  /** How the row's value (a jsonb expression) becomes the column's value, when it is not stored as it comes. */
  select?: (value: string) => string;
}

class Statement {
  readonly params: unknown[] = [];
  readonly ctes: string[] = [];

  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /**
   * The rows as ONE jsonb parameter, an array of objects keyed by column (absent: the row leaves
   * that column alone). One JSON document costs the writer one JSON.stringify and no array-literal
   * escaping, and nested JSON (events, steps) travels unescaped (decision 0035).
   */
  rows<T>(rows: T[], columns: Column<T>[]): string {
    return `${this.param(JSON.stringify(rows.map((row) => {
      const o: Record<string, unknown> = {};
      for (const c of columns) {
        const value = row[c.key];
        if (value !== undefined) o[c.key] = toJson(value, c.type);
      }
      return o;
    })))}::jsonb`;
  }
}

function toJson(value: unknown, type: SqlType): unknown {
  switch (type) {
    case "bigint": return value === null ? null : String(value);
    // Prisma stores DateTime as `timestamp(3)` in UTC; ISO strings without the zone keep pg from applying the session zone.
    case "timestamp": return value instanceof Date ? value.toISOString().replace("Z", "") : null;
    default: return value;
  }
}

function toSql(value: unknown, type: SqlType): unknown {
  return value === undefined ? null : toJson(value, type);
}

/** The value of `column` in the jsonb row `r`: SQL NULL when the key is absent, as the column type. */
function valueOf<T>(r: string, column: Column<T>): string {
  if (column.type === "jsonb") return column.select?.(`${r}->'${column.key}'`) ?? `${r}->'${column.key}'`;
  const text = `${r}->>'${column.key}'`;
  return column.type === "text" ? text : `(${text})::${column.type}`;
}

const FENCED = "WHERE EXISTS (SELECT 1 FROM fence)";

/**
 * `fence`: the row is written only if this holds (default: the commit's one fence matched). A
 * grouped commit (commitOutcomes) fences each row by its partition, which travels in the row's
 * JSON under `fencedBy` (the key of a column that is carried, not stored).
 */
function insert<T>(s: Statement, cte: string, table: string, rows: T[], columns: Column<T>[], opts: { extra?: [string, string][]; tail?: string; fencedBy?: Column<T> } = {}) {
  if (rows.length === 0) return;
  const names = columns.map((c) => `"${c.name}"`).concat((opts.extra ?? []).map(([n]) => `"${n}"`));
  const values = columns.map((c) => valueOf("t.r", c)).concat((opts.extra ?? []).map(([, v]) => v));
  const carried = opts.fencedBy ? [...columns, opts.fencedBy] : columns;
  const fence = opts.fencedBy ? `WHERE ${valueOf("t.r", opts.fencedBy)} IN (SELECT "partition" FROM fence)` : FENCED;
  // WITH ORDINALITY + ORDER BY keeps the rows in the order given (HeldEvent ids are queue order).
  s.ctes.push(`${cte} AS (INSERT INTO "${table}" (${names.join(", ")})
    SELECT ${values.join(", ")} FROM jsonb_array_elements(${s.rows(rows, carried)}) WITH ORDINALITY AS t(r, ord)
    ${fence} ORDER BY ord ${opts.tail ?? ""} RETURNING 1)`);
}

/** `UPDATE … FROM jsonb_array_elements(…)`: a row sets the columns it has a key for; `always` columns are set on every row. */
function update<T>(s: Statement, cte: string, table: string, rows: T[], id: Column<T>, columns: Column<T>[], opts: { match?: string; always?: [string, string][] } = {}) {
  if (rows.length === 0) return;
  const sets = columns.map((c) => `"${c.name}" = CASE WHEN u.r ? '${c.key}' THEN ${valueOf("u.r", c)} ELSE t."${c.name}" END`);
  for (const [name, value] of opts.always ?? []) sets.push(`"${name}" = ${value}`);
  s.ctes.push(`${cte} AS (UPDATE "${table}" AS t SET ${sets.join(", ")}
    FROM jsonb_array_elements(${s.rows(rows, [id, ...columns])}) AS u(r)
    WHERE ${opts.match ?? `t."${id.name}" = ${valueOf("u.r", id)}`} AND EXISTS (SELECT 1 FROM fence) RETURNING t."${id.name}")`);
}

const runColumns: Column<RunInsert>[] = [
  { name: "id", key: "id", type: "text" }, { name: "flowId", key: "flowId", type: "text" },
  { name: "flowVersion", key: "flowVersion", type: "int" }, { name: "eventId", key: "eventId", type: "text" },
  { name: "eventType", key: "eventType", type: "text" }, { name: "orderingKey", key: "orderingKey", type: "text" },
  { name: "status", key: "status", type: "text" }, { name: "attempts", key: "attempts", type: "int" },
  { name: "traceId", key: "traceId", type: "text" }, { name: "sequence", key: "sequence", type: "bigint" },
  { name: "startedAt", key: "startedAt", type: "timestamp" }, { name: "publishedAt", key: "publishedAt", type: "timestamp" },
  { name: "finishedAt", key: "finishedAt", type: "timestamp" },
  { name: "error", key: "error", type: "text" }, { name: "steps", key: "steps", type: "jsonb" },
  // Each run's keys travel as a JSON array and are stored as text[].
  { name: "businessKeys", key: "businessKeys", type: "jsonb", select: (v) => `ARRAY(SELECT jsonb_array_elements_text(${v}))` },
  { name: "event", key: "event", type: "jsonb" }, { name: "headers", key: "headers", type: "jsonb" },
  { name: "stream", key: "stream", type: "text" }, { name: "partition", key: "partition", type: "int" },
  { name: "deliveryCount", key: "deliveryCount", type: "int" }, { name: "errors", key: "errors", type: "jsonb" },
];
const heldColumns: Column<HeldInsert>[] = [
  { name: "partition", key: "partition", type: "int" }, { name: "flowId", key: "flowId", type: "text" },
  { name: "flowVersion", key: "flowVersion", type: "int" }, { name: "orderingKey", key: "orderingKey", type: "text" },
  { name: "eventId", key: "eventId", type: "text" }, { name: "event", key: "event", type: "jsonb" },
  { name: "headers", key: "headers", type: "jsonb" }, { name: "sequence", key: "sequence", type: "bigint" },
  { name: "state", key: "state", type: "text" }, { name: "attempts", key: "attempts", type: "int" },
  { name: "errors", key: "errors", type: "jsonb" }, { name: "nextAttemptAt", key: "nextAttemptAt", type: "timestamp" },
  { name: "firstFailedAt", key: "firstFailedAt", type: "timestamp" }, { name: "runId", key: "runId", type: "text" },
  { name: "steps", key: "steps", type: "jsonb" },
];
const deadLetterColumns: Column<DeadLetterInsert>[] = [
  { name: "id", key: "id", type: "text" }, { name: "flowId", key: "flowId", type: "text" },
  { name: "flowVersion", key: "flowVersion", type: "int" }, { name: "nodeId", key: "nodeId", type: "text" },
  { name: "orderingKey", key: "orderingKey", type: "text" }, { name: "eventId", key: "eventId", type: "text" },
  { name: "eventType", key: "eventType", type: "text" }, { name: "event", key: "event", type: "jsonb" },
  { name: "headers", key: "headers", type: "jsonb" }, { name: "attempts", key: "attempts", type: "jsonb" },
  { name: "error", key: "error", type: "text" }, { name: "traceId", key: "traceId", type: "text" },
  { name: "runId", key: "runId", type: "text" }, { name: "steps", key: "steps", type: "jsonb" },
  { name: "sequence", key: "sequence", type: "bigint" }, { name: "partition", key: "partition", type: "int" },
  { name: "status", key: "status", type: "text" },
  { name: "resolvedBy", key: "resolvedBy", type: "text" }, { name: "heldBehind", key: "heldBehind", type: "text" },
];
const runUpdateColumns: Column<RunUpdate>[] = [
  { name: "status", key: "status", type: "text" }, { name: "attempts", key: "attempts", type: "int" },
  { name: "steps", key: "steps", type: "jsonb" }, { name: "finishedAt", key: "finishedAt", type: "timestamp" },
  { name: "error", key: "error", type: "text" }, { name: "errors", key: "errors", type: "jsonb" },
];
const heldUpdateColumns: Column<HeldUpdate>[] = [
  { name: "state", key: "state", type: "text" }, { name: "attempts", key: "attempts", type: "int" },
  { name: "errors", key: "errors", type: "jsonb" }, { name: "nextAttemptAt", key: "nextAttemptAt", type: "timestamp" },
  { name: "firstFailedAt", key: "firstFailedAt", type: "timestamp" }, { name: "steps", key: "steps", type: "jsonb" },
];
const processedColumns: Column<{ eventId: string; flowId: string }>[] = [{ name: "eventId", key: "eventId", type: "text" }, { name: "flowId", key: "flowId", type: "text" }];
const NOW_UTC = "now() AT TIME ZONE 'UTC'";

/** Commits `rows` for the owner of `lease`; throws LostLeaseError (having written nothing) if it is not the owner any more. */
export async function commitOutcome(pool: Pool, owner: string, lease: Lease, rows: OutcomeRows): Promise<void> {
  const s = new Statement();
  const [partition, who, epoch, cursor] = [s.param(lease.partition), s.param(owner), s.param(lease.epoch), s.param(toSql(rows.cursor, "bigint"))];
  // GREATEST ignores NULL: without a cursor the fence only proves ownership.
  const running = rows.running
    ? `"runningSequence" = ${s.param(String(rows.running.sequence))}::bigint, "runningDeaths" = ${s.param(rows.running.deaths)}::int`
    : `"runningSequence" = CASE WHEN "runningSequence" <= GREATEST(cursor, ${cursor}::bigint) THEN NULL ELSE "runningSequence" END`;
  const moved = `"cursorMovedAt" = CASE WHEN ${cursor}::bigint > cursor THEN now() ELSE "cursorMovedAt" END`;
  s.ctes.push(`fence AS (UPDATE "Partition" SET cursor = GREATEST(cursor, ${cursor}::bigint), ${running}, ${moved}, "updatedAt" = now()
    WHERE "partition" = ${partition} AND owner = ${who} AND epoch = ${epoch} RETURNING 1)`);
  // Every run written or changed records the worker that did it: the owner this commit is fenced with.
  const worker: [string, string][] = [["worker", `${who}::text`]];
  insert(s, "runs", "Run", rows.runs ?? [], runColumns, { extra: worker });
  insert(s, "processed", "ProcessedEvent", rows.processed ?? [], processedColumns, {
    extra: [["processedAt", NOW_UTC]], tail: "ON CONFLICT DO NOTHING",
  });
  insert(s, "held", "HeldEvent", rows.held ?? [], heldColumns);
  insert(s, "dead", "DeadLetter", rows.deadLetters ?? [], deadLetterColumns, { extra: [["updatedAt", NOW_UTC]] });
  update(s, "run_updates", "Run", rows.runUpdates ?? [], { name: "id", key: "id", type: "text" }, runUpdateColumns, { always: worker });
  update(s, "held_updates", "HeldEvent", rows.heldUpdates ?? [], { name: "id", key: "id", type: "bigint" }, heldUpdateColumns);
  if (rows.heldDeletes?.length) {
    s.ctes.push(`held_deletes AS (DELETE FROM "HeldEvent" WHERE id = ANY(${s.param(rows.heldDeletes.map(String))}::bigint[]) AND EXISTS (SELECT 1 FROM fence) RETURNING 1)`);
  }
  if (rows.redrive) {
    const r = rows.redrive;
    const attempts = r.attempts === undefined ? "attempts" : `${s.param(JSON.stringify(r.attempts))}::jsonb`;
    const error = r.error === undefined ? "error" : s.param(r.error);
    s.ctes.push(`redrive AS (UPDATE "DeadLetter" SET status = ${s.param(r.status)}, attempts = ${attempts}, error = ${error}, "updatedAt" = ${NOW_UTC}
      WHERE id = ${s.param(r.deadLetterId)} AND status = 'redrive-requested' AND EXISTS (SELECT 1 FROM fence) RETURNING "runId")`);
    if (r.run) {
      // The run is found through the letter (only if the letter matched), not by the id column.
      update(s, "redrive_run", "Run", [{ id: "", ...r.run }], { name: "id", key: "id", type: "text" }, runUpdateColumns, {
        match: `t.id IN (SELECT "runId" FROM redrive)`, always: worker,
      });
    }
  }
  if (rows.discard) {
    s.ctes.push(`discard AS (UPDATE "DeadLetter" SET status = 'discarded', "updatedAt" = ${NOW_UTC}
      WHERE id = ${s.param(rows.discard.deadLetterId)} AND status = 'discard-requested' AND EXISTS (SELECT 1 FROM fence) RETURNING 1)`);
  }
  const result = await pool.query<{ fenced: number }>(`WITH ${s.ctes.join(",\n")} SELECT (SELECT count(*) FROM fence)::int AS fenced`, s.params);
  if (result.rows[0]?.fenced !== 1) throw new LostLeaseError(lease.partition);
}

/** What a partition's batch commits: its outcome rows and the cursor past its last message. */
export type BatchRows = Required<Pick<OutcomeRows, "runs" | "processed" | "held" | "deadLetters">> & { cursor: bigint };

/**
 * Several partitions' batches of one owner in ONE statement (group-commit.ts, decision 0039): each
 * partition is fenced on its own — the fence updates every partition row that still matches
 * (partition, owner, epoch), and a row is written only if its partition's fence did. Returns the
 * partitions that were fenced; the others lost their lease and wrote nothing.
 */
export async function commitOutcomes(pool: Pool, owner: string, batches: { lease: Lease; rows: BatchRows }[]): Promise<Set<number>> {
  const s = new Statement();
  const who = s.param(owner);
  const leases = s.param(JSON.stringify(batches.map(({ lease, rows }) => ({ partition: lease.partition, epoch: lease.epoch, cursor: String(rows.cursor) }))));
  s.ctes.push(`fence AS (UPDATE "Partition" AS p SET cursor = GREATEST(p.cursor, f.cursor),
      "runningSequence" = CASE WHEN p."runningSequence" <= GREATEST(p.cursor, f.cursor) THEN NULL ELSE p."runningSequence" END,
      "cursorMovedAt" = CASE WHEN f.cursor > p.cursor THEN now() ELSE p."cursorMovedAt" END, "updatedAt" = now()
    FROM jsonb_to_recordset(${leases}::jsonb) AS f("partition" int, epoch int, cursor bigint),
      -- Rows locked in ascending order, as every multi-row update of "Partition" does (partition-leases.ts).
      (SELECT "partition" FROM "Partition" WHERE "partition" IN (SELECT (e->>'partition')::int FROM jsonb_array_elements(${leases}::jsonb) AS e)
        ORDER BY "partition" FOR UPDATE) AS locked
    WHERE p."partition" = f."partition" AND locked."partition" = p."partition" AND p.owner = ${who} AND p.epoch = f.epoch RETURNING p."partition")`);
  type Fenced<T> = T & { fencedBy: number };
  const fenced = <T>(pick: (rows: BatchRows) => T[]): Fenced<T>[] => batches.flatMap(({ lease, rows }) => pick(rows).map((row) => ({ ...row, fencedBy: lease.partition })));
  const fencedBy = <T>(): Column<Fenced<T>> => ({ name: "", key: "fencedBy", type: "int" });
  insert<Fenced<RunInsert>>(s, "runs", "Run", fenced((r) => r.runs), runColumns, { extra: [["worker", `${who}::text`]], fencedBy: fencedBy() });
  insert<Fenced<{ eventId: string; flowId: string }>>(s, "processed", "ProcessedEvent", fenced((r) => r.processed), processedColumns, {
    extra: [["processedAt", NOW_UTC]], tail: "ON CONFLICT DO NOTHING", fencedBy: fencedBy(),
  });
  insert<Fenced<HeldInsert>>(s, "held", "HeldEvent", fenced((r) => r.held), heldColumns, { fencedBy: fencedBy() });
  insert<Fenced<DeadLetterInsert>>(s, "dead", "DeadLetter", fenced((r) => r.deadLetters), deadLetterColumns, { extra: [["updatedAt", NOW_UTC]], fencedBy: fencedBy() });
  const result = await pool.query<{ fenced: number[] }>(`WITH ${s.ctes.join(",\n")} SELECT ARRAY(SELECT "partition" FROM fence) AS fenced`, s.params);
  return new Set(result.rows[0]?.fenced ?? []);
}
