import "server-only";
import * as z from "zod";
import type { ZodType } from "zod";
import type { Prisma, PrismaClient } from "@/server/db/generated/client";
import { InvalidInputError, NotFoundError } from "@/server/domain-errors";
import { isSourceLetter, letterSourceName, letterSources } from "@/server/sources/source-dead-letters";

// The read side of run history (docs/guarantees.md §6, README "Performance"): what the runs page, the key timeline and
// GET /api/runs show. The worker writes runs; nothing here changes them.
//
// Lists page with a keyset cursor instead of OFFSET: at a million runs an offset makes every later
// page read and discard all earlier rows, while a keyset starts each page inside the index.

type Db = PrismaClient;

export const runStatuses = ["succeeded", "failed", "retrying", "held", "dead-lettered", "skipped", "discarded"] as const;
export type RunStatus = (typeof runStatuses)[number];

const MAX_PAGE_SIZE = 200;
const DEFAULT_PAGE_SIZE = 50;

export const flowIdParam = z.string().trim().min(1).max(200).meta({ description: "Flow id" });
export const subjectParam = z.string().min(1).max(1000).meta({ description: "Ordering key (the CloudEvents `subject`, e.g. a SKU)" });
export const limitParam = z.coerce
  .number()
  .int()
  .min(1)
  .max(MAX_PAGE_SIZE)
  .default(DEFAULT_PAGE_SIZE)
  .meta({ description: `Page size, 1–${MAX_PAGE_SIZE}` });
export const cursorParam = z.string().min(1).max(2000).meta({ description: "`nextCursor` of the previous page" });

/** GET /api/runs query parameters. */
export const runListQuerySchema = z.object({
  flow: flowIdParam.optional(),
  subject: subjectParam.optional(),
  status: z.enum(runStatuses).optional(),
  limit: limitParam,
  cursor: cursorParam.optional(),
});

/** The same filter under the names the code uses (tRPC input). */
export const runListFilterSchema = z.object({
  flowId: flowIdParam.optional(),
  subject: subjectParam.optional(),
  status: z.enum(runStatuses).optional(),
  limit: limitParam,
  cursor: cursorParam.optional(),
});
export type RunListFilter = z.input<typeof runListFilterSchema>;

/** Field issues of a zod error, paths joined with dots (`event.data.quantity`). */
export function fieldIssues(error: z.ZodError, prefix: (string | number)[] = []): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: [...prefix, ...issue.path].map(String).join("."), message: issue.message }));
}

// Cursors are opaque to callers but carry their list's name, so a dead-letter cursor handed to the
// runs list is refused instead of silently skipping to some unrelated position.
const cursorPayloadSchema = z.tuple([z.enum(["runs", "dead-letters"]), z.iso.datetime(), z.string().min(1).max(500)]);
export type CursorList = z.infer<typeof cursorPayloadSchema>[0];

export function encodeCursor(list: CursorList, at: Date, id: string): string {
  return Buffer.from(JSON.stringify([list, at.toISOString(), id])).toString("base64url");
}

export function decodeCursor(list: CursorList, cursor: string): { at: Date; id: string } {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    payload = undefined;
  }
  const parsed = cursorPayloadSchema.safeParse(payload);
  if (!parsed.success || parsed.data[0] !== list) {
    throw new InvalidInputError("The cursor is not valid.", [
      { path: "cursor", message: `use the nextCursor of a previous page of this list (${list})` },
    ]);
  }
  return { at: new Date(parsed.data[1]), id: parsed.data[2] };
}

/** Flow names for display; a flow deleted since has none. */
/**
 * Names by flow id. A source's dead letters carry `source:<id>` as their flow
 * (docs/decisions/0019): they are named after the source and its kind, so every list of letters
 * (inbox, filters, GET /api/dead-letters, monitoring) reads "ERP stock (RabbitMQ queue source)".
 */
export async function flowNames(db: Db, flowIds: Iterable<string>): Promise<Map<string, string>> {
  const ids = [...new Set(flowIds)];
  if (ids.length === 0) return new Map();
  const flowIdsOnly = ids.filter((id) => !isSourceLetter(id));
  const [flows, sources] = await Promise.all([
    flowIdsOnly.length === 0 ? [] : db.flow.findMany({ where: { id: { in: flowIdsOnly } }, select: { id: true, name: true } }),
    letterSources(db, ids),
  ]);
  const names = new Map(flows.map((f) => [f.id, f.name]));
  for (const [flowId, source] of sources) names.set(flowId, letterSourceName(source));
  return names;
}

// Steps are left out of lists: they hold every node's input and output and would make a page of
// 200 runs read megabytes of JSON nobody looks at in a table.
const runSummarySelect = {
  id: true,
  flowId: true,
  flowVersion: true,
  eventId: true,
  eventType: true,
  orderingKey: true,
  status: true,
  attempts: true,
  traceId: true,
  sequence: true,
  startedAt: true,
  finishedAt: true,
  error: true,
} as const;

type RunSummaryRow = Prisma.RunGetPayload<{ select: typeof runSummarySelect }>;

export interface RunSummary {
  id: string;
  flowId: string;
  /** null when the flow was deleted after the run. */
  flowName: string | null;
  flowVersion: number;
  eventId: string;
  eventType: string;
  orderingKey: string;
  status: string;
  attempts: number;
  traceId: string;
  /** JetStream stream sequence, as a string: JSON numbers lose precision past 2^53. */
  sequence: string;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  error: string | null;
}

function toRunSummary(row: RunSummaryRow, names: Map<string, string>): RunSummary {
  return {
    id: row.id,
    flowId: row.flowId,
    flowName: names.get(row.flowId) ?? null,
    flowVersion: row.flowVersion,
    eventId: row.eventId,
    eventType: row.eventType,
    orderingKey: row.orderingKey,
    status: row.status,
    attempts: row.attempts,
    traceId: row.traceId,
    sequence: row.sequence.toString(),
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    durationMs: row.finishedAt ? row.finishedAt.getTime() - row.startedAt.getTime() : null,
    error: row.error,
  };
}

/**
 * Runs newest first, by (startedAt desc, id desc). Every filter has an index that leads with it
 * and continues with startedAt desc, so a page reads about `limit` index entries however many
 * runs are stored (README "Performance": p95 ≤ 50 ms at 1 M runs).
 */
export async function listRuns(db: Db, filter: RunListFilter = {}): Promise<{ runs: RunSummary[]; nextCursor: string | null }> {
  const { flowId, subject, status, limit, cursor } = parseFilter(runListFilterSchema, filter);
  const after = cursor === undefined ? undefined : decodeCursor("runs", cursor);
  const rows = await db.run.findMany({
    where: {
      // Test runs (the editor's test-event button) are not production history.
      test: false,
      ...(flowId !== undefined ? { flowId } : {}),
      ...(subject !== undefined ? { orderingKey: subject } : {}),
      ...(status !== undefined ? { status } : {}),
      ...(after
        ? // `startedAt <= at` is implied by the OR; it is there for the planner. An OR is not an index
          // condition but a range is, so each page starts inside the index instead of filtering its
          // way down from the newest run.
          { startedAt: { lte: after.at }, OR: [{ startedAt: { lt: after.at } }, { startedAt: after.at, id: { lt: after.id } }] }
        : {}),
    },
    orderBy: [{ startedAt: "desc" }, { id: "desc" }],
    // One extra row tells whether there is a next page without a count(*).
    take: limit + 1,
    select: runSummarySelect,
  });
  const page = rows.slice(0, limit);
  const names = await flowNames(db, page.map((r) => r.flowId));
  const last = page.at(-1);
  return {
    runs: page.map((row) => toRunSummary(row, names)),
    nextCursor: rows.length > limit && last ? encodeCursor("runs", last.startedAt, last.id) : null,
  };
}

/** Parses input from callers that skipped validation (tRPC and HTTP validate already). */
export function parseFilter<S extends ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new InvalidInputError("The filter is not valid.", fieldIssues(parsed.error));
  return parsed.data;
}

export interface RunDetail extends RunSummary {
  /** [{ nodeId, kind, status, attempts, startedAt, finishedAt, input, output, error, idempotencyKey }] */
  steps: unknown[];
  /**
   * The CloudEvent, when Syncline still holds it: runs do not store the event (one row per run
   * keeps history writes cheap), but a dead-lettered run's dead letter does. The first step's
   * input carries the event data otherwise.
   */
  event: unknown | null;
  deadLetter: { id: string; status: string } | null;
}

export async function getRun(db: Db, id: string): Promise<RunDetail> {
  const row = await db.run.findUnique({ where: { id }, select: { ...runSummarySelect, steps: true } });
  if (!row) throw new NotFoundError(`No run with id "${id}".`);
  const [names, deadLetter] = await Promise.all([
    flowNames(db, [row.flowId]),
    db.deadLetter.findFirst({
      where: { runId: id },
      orderBy: { createdAt: "desc" },
      select: { id: true, status: true, event: true },
    }),
  ]);
  return {
    ...toRunSummary(row, names),
    steps: Array.isArray(row.steps) ? row.steps : [],
    event: deadLetter?.event ?? null,
    deadLetter: deadLetter ? { id: deadLetter.id, status: deadLetter.status } : null,
  };
}

export interface TimelineDeadLetter {
  id: string;
  flowId: string;
  flowName: string | null;
  flowVersion: number;
  nodeId: string | null;
  eventId: string;
  eventType: string;
  status: string;
  error: string;
  traceId: string;
  runId: string | null;
  sequence: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface TimelineHeldEvent {
  /** Queue position (a bigint id), as a string. */
  id: string;
  /** The run this event's outcome will be recorded in. */
  runId: string;
  flowId: string;
  flowName: string | null;
  flowVersion: number;
  eventId: string;
  eventType: string | null;
  sequence: string;
  /** 0: waiting behind an earlier event of the key; more: this event itself is being retried. */
  attempts: number;
  /** queued: waiting for its turn; detached: its first run is still going, outside its batch. */
  state: string;
  lastError: string | null;
  nextAttemptAt: Date;
  firstFailedAt: Date | null;
  createdAt: Date;
}

export type TimelineEntry =
  | { kind: "run"; at: Date; run: RunSummary }
  | { kind: "dead-letter"; at: Date; deadLetter: TimelineDeadLetter }
  | { kind: "held"; at: Date; held: TimelineHeldEvent };

export interface KeyTimeline {
  orderingKey: string;
  /** Newest first: runs by start, dead letters and held events by when they were recorded. */
  entries: TimelineEntry[];
  /** More happened before the oldest entry than `limit` allowed to show. */
  truncated: boolean;
}

export const timelineQuerySchema = z.object({
  subject: subjectParam,
  limit: limitParam,
});

function lastError(errors: unknown): string | null {
  if (!Array.isArray(errors) || errors.length === 0) return null;
  const last: unknown = errors[errors.length - 1];
  return last && typeof last === "object" && "error" in last ? String((last as { error: unknown }).error) : null;
}

/**
 * Everything that happened to one ordering key across all flows (docs/guarantees.md §6). Each source is read
 * newest first up to `limit`; when one is cut off, older entries of the others are dropped too,
 * so the page is always a complete stretch of recent history rather than a misleading mix.
 */
export async function keyTimeline(db: Db, orderingKey: string, opts: { limit?: number } = {}): Promise<KeyTimeline> {
  const { subject, limit } = parseFilter(timelineQuerySchema, { subject: orderingKey, limit: opts.limit });
  const [runs, deadLetters, held] = await Promise.all([
    db.run.findMany({
      where: { orderingKey: subject, test: false },
      orderBy: [{ startedAt: "desc" }, { id: "desc" }],
      take: limit + 1,
      select: runSummarySelect,
    }),
    db.deadLetter.findMany({
      where: { orderingKey: subject },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: limit + 1,
      select: {
        id: true, flowId: true, flowVersion: true, nodeId: true, eventId: true, eventType: true, status: true,
        error: true, traceId: true, runId: true, sequence: true, createdAt: true, updatedAt: true,
      },
    }),
    db.heldEvent.findMany({
      where: { orderingKey: subject },
      orderBy: { id: "desc" },
      take: limit + 1,
      select: {
        id: true, runId: true, flowId: true, flowVersion: true, eventId: true, event: true, sequence: true, attempts: true, state: true,
        errors: true, nextAttemptAt: true, firstFailedAt: true, createdAt: true,
      },
    }),
  ]);
  const names = await flowNames(db, [...runs, ...deadLetters, ...held].map((r) => r.flowId));

  const sources: TimelineEntry[][] = [
    runs.slice(0, limit).map((row) => ({ kind: "run", at: row.startedAt, run: toRunSummary(row, names) })),
    deadLetters.slice(0, limit).map((row) => ({
      kind: "dead-letter",
      at: row.createdAt,
      deadLetter: { ...row, flowName: names.get(row.flowId) ?? null, sequence: row.sequence.toString() },
    })),
    held.slice(0, limit).map((row) => {
      const event = row.event as { type?: unknown } | null;
      return {
        kind: "held",
        at: row.createdAt,
        held: {
          id: row.id.toString(),
          runId: row.runId,
          flowId: row.flowId,
          flowName: names.get(row.flowId) ?? null,
          flowVersion: row.flowVersion,
          eventId: row.eventId,
          eventType: typeof event?.type === "string" ? event.type : null,
          sequence: row.sequence.toString(),
          attempts: row.attempts,
          state: row.state,
          lastError: lastError(row.errors),
          nextAttemptAt: row.nextAttemptAt,
          firstFailedAt: row.firstFailedAt,
          createdAt: row.createdAt,
        },
      };
    }),
  ];
  const cutOff = [runs, deadLetters, held].map((rows, i) => (rows.length > limit ? sources[i]!.at(-1)!.at.getTime() : -Infinity));
  const oldestComplete = Math.max(...cutOff);
  const entries = sources
    .flat()
    .filter((e) => e.at.getTime() >= oldestComplete)
    .sort((a, b) => b.at.getTime() - a.at.getTime())
    .slice(0, limit);
  const truncated = oldestComplete > -Infinity || sources.flat().length > entries.length;
  return { orderingKey: subject, entries, truncated };
}

// Wire formats for /api/openapi.json and for tests that hold responses to them. JSON turns Dates
// into ISO strings, hence strings here.
const isoDate = z.iso.datetime();
const runSummaryJsonSchema = z.object({
  id: z.string(),
  flowId: z.string(),
  flowName: z.string().nullable(),
  flowVersion: z.number().int(),
  eventId: z.string(),
  eventType: z.string(),
  orderingKey: z.string().meta({ description: "The event's `subject`" }),
  status: z.string().meta({ description: runStatuses.join(" | ") }),
  attempts: z.number().int(),
  traceId: z.string(),
  sequence: z.string().meta({ description: "JetStream stream sequence (a 64-bit integer as a string)" }),
  startedAt: isoDate,
  finishedAt: isoDate.nullable(),
  durationMs: z.number().nullable(),
  error: z.string().nullable(),
});
export const runListJsonSchema = z.object({
  runs: z.array(runSummaryJsonSchema),
  nextCursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last page" }),
});
export const runDetailJsonSchema = runSummaryJsonSchema.extend({
  steps: z.array(z.unknown()),
  event: z.unknown().meta({ description: "The CloudEvent when still held (dead-lettered runs), else null" }),
  deadLetter: z.object({ id: z.string(), status: z.string() }).nullable(),
});
const timelineDeadLetterJsonSchema = z.object({
  id: z.string(), flowId: z.string(), flowName: z.string().nullable(), flowVersion: z.number().int(), nodeId: z.string().nullable(),
  eventId: z.string(), eventType: z.string(), status: z.string(), error: z.string(), traceId: z.string(), runId: z.string().nullable(),
  sequence: z.string(), createdAt: isoDate, updatedAt: isoDate,
});
const timelineHeldJsonSchema = z.object({
  id: z.string(), runId: z.string(), flowId: z.string(), flowName: z.string().nullable(), flowVersion: z.number().int(), eventId: z.string(),
  eventType: z.string().nullable(), sequence: z.string(), attempts: z.number().int(),
  state: z.enum(["queued", "detached"]).meta({ description: "queued: waiting for its turn; detached: its first run is still going" }),
  lastError: z.string().nullable(),
  nextAttemptAt: isoDate, firstFailedAt: isoDate.nullable(), createdAt: isoDate,
});
export const keyTimelineJsonSchema = z.object({
  orderingKey: z.string(),
  entries: z.array(
    z.discriminatedUnion("kind", [
      z.object({ kind: z.literal("run"), at: isoDate, run: runSummaryJsonSchema }),
      z.object({ kind: z.literal("dead-letter"), at: isoDate, deadLetter: timelineDeadLetterJsonSchema }),
      z.object({ kind: z.literal("held"), at: isoDate, held: timelineHeldJsonSchema }),
    ]),
  ),
  truncated: z.boolean(),
});
