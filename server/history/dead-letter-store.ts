import "server-only";
import * as z from "zod";
import type { Prisma, PrismaClient } from "@/server/db/generated/client";
import { ConflictError, InvalidInputError, NotFoundError } from "@/server/domain-errors";
import { cloudEventSchema, getKnownEventType } from "@/server/events/event-types";
import { natsWorkerNotifier, type WorkerChange, type WorkerNotifier } from "@/server/runtime/worker-notifier";
import {
  cursorParam,
  decodeCursor,
  encodeCursor,
  flowIdParam,
  fieldIssues,
  flowNames,
  limitParam,
  parseFilter,
  subjectParam,
} from "./run-history";
import { isSourceLetter, SOURCE_LETTER_PARTITION } from "@/server/sources/source-dead-letters";

// What people do with dead letters (docs/guarantees.md §5): inspect, edit the payload, redrive one or many,
// discard. The web app only records the request (status `redrive-requested` / `discarded`); the
// worker that owns the letter's partition does the redrive, because only it may touch that
// partition's queue without breaking per-key order.

type Db = PrismaClient;

const deadLetterStatuses = ["open", "redrive-requested", "redriven", "discard-requested", "discarded"] as const;
export type DeadLetterStatus = (typeof deadLetterStatuses)[number];

const statusParam = z
  .enum([...deadLetterStatuses, "all"])
  .default("open")
  .meta({ description: "Default `open`: the ones that need someone's attention" });

/** GET /api/dead-letters query parameters. */
export const deadLetterListQuerySchema = z.object({
  flow: flowIdParam.optional(),
  subject: subjectParam.optional(),
  status: statusParam,
  limit: limitParam,
  cursor: cursorParam.optional(),
});

/** The same filter under the names the code uses (tRPC input). */
export const deadLetterListFilterSchema = z.object({
  flowId: flowIdParam.optional(),
  subject: subjectParam.optional(),
  status: statusParam,
  limit: limitParam,
  cursor: cursorParam.optional(),
});
export type DeadLetterListFilter = z.input<typeof deadLetterListFilterSchema>;

export const MAX_BULK_IDS = 1000;

/** Which letters a bulk redrive means: explicit ids, or every open one of a flow and/or key. */
export const bulkRedriveSchema = z
  .object({
    ids: z.array(z.string().min(1).max(200)).min(1).max(MAX_BULK_IDS).optional(),
    flow: flowIdParam.optional(),
    subject: subjectParam.optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    const byFilter = value.flow !== undefined || value.subject !== undefined;
    if (value.ids !== undefined && byFilter) {
      ctx.addIssue({ code: "custom", path: ["ids"], message: "give either ids or flow/subject, not both" });
    } else if (value.ids === undefined && !byFilter) {
      // Redriving every open letter of every flow is too big a click to allow by omission.
      ctx.addIssue({ code: "custom", path: [], message: "give ids, or a flow and/or subject whose open dead letters to redrive" });
    }
  });
export type BulkRedriveSelection = { ids: string[] } | { flowId?: string; subject?: string };

/** POST /api/dead-letters/{id}/redrive body: optionally the edited CloudEvent to run instead. */
export const redriveBodySchema = z
  .object({ event: z.unknown().optional().meta({ description: "The edited CloudEvent; id, type and subject must stay the same" }) })
  .strict();

/** What the owning workers are told: which letters of their partition changed. */
export type DeadLetterChange = Extract<WorkerChange, { topic: "dead-letters" }>;

export interface DeadLetterStoreOptions {
  /** Tells workers about changed letters; default: a best-effort NATS publish (server/runtime/worker-notifier.ts). */
  notify?: WorkerNotifier;
  /** Who redrives or discards (an actor label), shown in the resolved list. */
  by?: string;
}

function byPartition(rows: { id: string; partition: number }[]): DeadLetterChange[] {
  const groups = new Map<number, string[]>();
  for (const row of rows) groups.set(row.partition, [...(groups.get(row.partition) ?? []), row.id]);
  return [...groups].map(([partition, deadLetterIds]) => ({ topic: "dead-letters", partition, deadLetterIds }));
}

async function notifyChanged(options: DeadLetterStoreOptions, rows: { id: string; partition: number }[]) {
  await (options.notify ?? natsWorkerNotifier())(byPartition(rows));
}

const summarySelect = {
  id: true,
  flowId: true,
  flowVersion: true,
  nodeId: true,
  orderingKey: true,
  eventId: true,
  eventType: true,
  error: true,
  traceId: true,
  runId: true,
  sequence: true,
  partition: true,
  status: true,
  attempts: true,
  createdAt: true,
  updatedAt: true,
} as const satisfies Prisma.DeadLetterSelect;
type SummaryRow = Prisma.DeadLetterGetPayload<{ select: typeof summarySelect }>;

export interface DeadLetterSummary {
  id: string;
  flowId: string;
  flowName: string | null;
  flowVersion: number;
  /** The node that failed; null when the event failed before any node (e.g. an unknown flow version). */
  nodeId: string | null;
  orderingKey: string;
  eventId: string;
  eventType: string;
  /** The last error. */
  error: string;
  traceId: string;
  runId: string | null;
  /** JetStream stream sequence, as a string (64-bit). */
  sequence: string;
  partition: number;
  status: string;
  attemptCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeadLetterDetail extends DeadLetterSummary {
  event: unknown;
  headers: unknown;
  /** [{ at, error, transient }] */
  attempts: unknown[];
  /** Steps that had succeeded before the failure; the redrive resumes after them. */
  steps: unknown[];
}

function toSummary(row: SummaryRow, names: Map<string, string>): DeadLetterSummary {
  const { attempts, sequence, ...rest } = row;
  return {
    ...rest,
    flowName: names.get(row.flowId) ?? null,
    sequence: sequence.toString(),
    attemptCount: Array.isArray(attempts) ? attempts.length : 0,
  };
}

/** Newest first, by (createdAt desc, id desc); status defaults to `open`. */
export async function listDeadLetters(
  db: Db,
  filter: DeadLetterListFilter = {},
): Promise<{ deadLetters: DeadLetterSummary[]; nextCursor: string | null }> {
  const { flowId, subject, status, limit, cursor } = parseFilter(deadLetterListFilterSchema, filter);
  const after = cursor === undefined ? undefined : decodeCursor("dead-letters", cursor);
  const rows = await db.deadLetter.findMany({
    where: {
      ...(flowId !== undefined ? { flowId } : {}),
      ...(subject !== undefined ? { orderingKey: subject } : {}),
      ...(status !== "all" ? { status } : {}),
      // The redundant range is for the planner, as in listRuns.
      ...(after
        ? { createdAt: { lte: after.at }, OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] }
        : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    select: summarySelect,
  });
  const page = rows.slice(0, limit);
  const names = await flowNames(db, page.map((r) => r.flowId));
  const last = page.at(-1);
  return {
    deadLetters: page.map((row) => toSummary(row, names)),
    nextCursor: rows.length > limit && last ? encodeCursor("dead-letters", last.createdAt, last.id) : null,
  };
}

export async function getDeadLetter(db: Db, id: string): Promise<DeadLetterDetail> {
  const row = await db.deadLetter.findUnique({ where: { id }, select: { ...summarySelect, event: true, headers: true, steps: true } });
  if (!row) throw notFound(id);
  const names = await flowNames(db, [row.flowId]);
  const { event, headers, steps, ...summary } = row;
  return {
    ...toSummary(summary, names),
    event,
    headers,
    attempts: Array.isArray(row.attempts) ? row.attempts : [],
    steps: Array.isArray(steps) ? steps : [],
  };
}

function notFound(id: string) {
  return new NotFoundError(`No dead letter with id "${id}".`);
}

function conflict(id: string, status: string, action: "redrive" | "discard") {
  const why: Record<string, string> = {
    "redrive-requested": "a redrive was already requested; the worker is on it",
    redriven: "it was already redriven",
    "discard-requested": "it is being discarded with the events held behind it",
    discarded: "it was discarded",
    open: "it is open",
  };
  const allowed = action === "redrive" ? "only open dead letters can be redriven" : "only open dead letters or ones waiting for redrive can be discarded";
  return new ConflictError(`Dead letter "${id}" cannot be ${action === "redrive" ? "redriven" : "discarded"}: ${why[status] ?? `its status is ${status}`} (${allowed}).`);
}

/**
 * Checks an edited payload before it replaces the stored event. The id must stay: it is the
 * dedup and idempotency key, so a new id would make outside systems apply the change twice. The
 * subject must stay: it decides the partition and the key whose order the redrive keeps. The
 * type must stay: the flow was triggered by it.
 */
function validateEditedEvent(original: unknown, edited: unknown): Prisma.InputJsonValue {
  const parsed = cloudEventSchema.safeParse(edited);
  if (!parsed.success) throw new InvalidInputError("The edited event is not a valid CloudEvent.", fieldIssues(parsed.error, ["event"]));
  const event = parsed.data;
  const before = (original ?? {}) as Record<string, unknown>;
  const issues: { path: string; message: string }[] = [];
  for (const field of ["id", "type", "subject"] as const) {
    if (before[field] !== undefined && event[field] !== before[field]) {
      issues.push({ path: `event.${field}`, message: `must stay ${JSON.stringify(before[field])}: only the payload can be edited before a redrive` });
    }
  }
  if (issues.length) throw new InvalidInputError("The edited event changes what identifies it.", issues);
  // Custom types are checked by the worker against their registered JSON Schema; built-in ones
  // are checked here so a typo comes back as a 400 instead of as the next dead letter.
  const known = getKnownEventType(event.type);
  if (known) {
    const data = known.data.safeParse(event.data);
    if (!data.success) throw new InvalidInputError(`The edited data does not match the ${event.type} schema.`, fieldIssues(data.error, ["event", "data"]));
  }
  return event as Prisma.InputJsonValue;
}

/**
 * Asks the owning worker to redrive one open dead letter, optionally with an edited event.
 * NotFoundError if there is no such letter, ConflictError unless it is open, InvalidInputError for an invalid edit.
 */
export async function requestRedrive(
  db: Db,
  id: string,
  edit: { event?: unknown } = {},
  options: DeadLetterStoreOptions = {},
): Promise<DeadLetterSummary> {
  let event: Prisma.InputJsonValue | undefined;
  const letter = await db.deadLetter.findUnique({ where: { id }, select: { flowId: true } });
  if (letter && isSourceLetter(letter.flowId)) {
    throw new ConflictError("This message never became an event (a source could not take it in): fix the sender or the source's mapping and publish it again, then discard it here.");
  }
  if (edit.event !== undefined) {
    const current = await db.deadLetter.findUnique({ where: { id }, select: { event: true, status: true } });
    if (!current) throw notFound(id);
    if (current.status !== "open") throw conflict(id, current.status, "redrive");
    event = validateEditedEvent(current.event, edit.event);
  }
  // Conditional on the status so two people clicking at once (or a worker finishing) cannot both win.
  const [row] = await db.deadLetter.updateManyAndReturn({
    where: { id, status: "open" },
    data: { status: "redrive-requested", resolvedBy: options.by ?? null, ...(event !== undefined ? { event } : {}) },
    select: summarySelect,
  });
  if (!row) throw await refusal(db, id, "redrive");
  await notifyChanged(options, [row]);
  return toSummary(row, await flowNames(db, [row.flowId]));
}

async function refusal(db: Db, id: string, action: "redrive" | "discard") {
  const existing = await db.deadLetter.findUnique({ where: { id }, select: { status: true } });
  return existing ? conflict(id, existing.status, action) : notFound(id);
}

export interface BulkRedriveResult {
  /** Letters now waiting for redrive. */
  requested: string[];
  /** Of the given ids: unknown ones, and ones that were not open. Empty for a flow/subject filter. */
  notFound: string[];
  notOpen: string[];
}

/**
 * Redrives many open letters at once: the given ids, or all open ones of a flow and/or key. One
 * status change for all of them, so a key's letters reach its worker together and it can redrive
 * them in stream order.
 */
export async function requestRedriveMany(
  db: Db,
  selection: BulkRedriveSelection,
  options: DeadLetterStoreOptions = {},
): Promise<BulkRedriveResult> {
  let where: Prisma.DeadLetterWhereInput;
  if ("ids" in selection) {
    if (selection.ids.length === 0 || selection.ids.length > MAX_BULK_IDS) {
      throw new InvalidInputError(`Give between 1 and ${MAX_BULK_IDS} ids.`, [{ path: "ids", message: `1–${MAX_BULK_IDS} ids` }]);
    }
    where = { id: { in: selection.ids }, status: "open" };
  } else {
    if (selection.flowId === undefined && selection.subject === undefined) {
      throw new InvalidInputError("Name a flow and/or a subject whose open dead letters to redrive.");
    }
    where = {
      status: "open",
      ...(selection.flowId !== undefined ? { flowId: selection.flowId } : {}),
      ...(selection.subject !== undefined ? { orderingKey: selection.subject } : {}),
    };
  }
  const rows = await db.deadLetter.updateManyAndReturn({
    // A source's letters are in no partition: no worker could redrive them.
    where: { ...where, partition: { not: SOURCE_LETTER_PARTITION } },
    data: { status: "redrive-requested", resolvedBy: options.by ?? null },
    select: { id: true, partition: true },
  });
  await notifyChanged(options, rows);
  const requested = rows.map((r) => r.id);
  if (!("ids" in selection)) return { requested, notFound: [], notOpen: [] };

  const done = new Set(requested);
  const rest = [...new Set(selection.ids)].filter((id) => !done.has(id));
  const existing = rest.length
    ? new Set((await db.deadLetter.findMany({ where: { id: { in: rest } }, select: { id: true } })).map((r) => r.id))
    : new Set<string>();
  return { requested, notFound: rest.filter((id) => !existing.has(id)), notOpen: rest.filter((id) => existing.has(id)) };
}

/** What a discard does with the events its key holds behind the letter (decision 0024). */
export const heldPolicies = ["release", "discard"] as const;
export type HeldPolicy = (typeof heldPolicies)[number];
export const heldPolicySchema = z
  .enum(heldPolicies, { error: "choose release (the held events run, in order) or discard (they are dropped too)" })
  .default("release")
  .meta({ description: "`release` (default): the events held behind the letter run, in order. `discard`: the events held behind it now are dropped too (recorded as discarded); later events of the key run" });

/** DELETE /api/dead-letters/{id} query parameters. */
export const discardQuerySchema = z.object({ held: heldPolicySchema });

export interface DiscardOptions extends DeadLetterStoreOptions {
  /** Default `release`. */
  held?: HeldPolicy;
}

/**
 * Gives up on a letter: the event will not run in this flow. Allowed while open or waiting for
 * redrive; the owning worker is told because the events its key was holding are released (they
 * run, in order) or, with `held: "discard"`, dropped: then the letter is `discard-requested` until
 * the worker has dropped the events held now (up to the newest held sequence, read here) and
 * marks it `discarded` in the same fenced write.
 */
export async function discardDeadLetter(db: Db, id: string, options: DiscardOptions = {}): Promise<DeadLetterSummary> {
  const held = options.held ?? "release";
  let through: bigint | null = null;
  if (held === "discard") {
    const letter = await db.deadLetter.findUnique({ where: { id }, select: { flowId: true, orderingKey: true, partition: true } });
    if (!letter) throw notFound(id);
    const newest = await db.heldEvent.aggregate({
      where: { partition: letter.partition, flowId: letter.flowId, orderingKey: letter.orderingKey },
      _max: { sequence: true },
    });
    through = newest._max.sequence;
  }
  const [row] = await db.deadLetter.updateManyAndReturn({
    where: { id, status: { in: ["open", "redrive-requested"] } },
    // Nothing held: nothing for the worker to drop, so it is discarded at once.
    data: through === null
      ? { status: "discarded", resolvedBy: options.by ?? null }
      : { status: "discard-requested", discardHeldThrough: through, resolvedBy: options.by ?? null },
    select: summarySelect,
  });
  if (!row) throw await refusal(db, id, "discard");
  await notifyChanged(options, [row]);
  return toSummary(row, await flowNames(db, [row.flowId]));
}

// Wire formats for /api/openapi.json and for tests that hold responses to them.
const isoDate = z.iso.datetime();
export const deadLetterSummaryJsonSchema = z.object({
  id: z.string(),
  flowId: z.string(),
  flowName: z.string().nullable(),
  flowVersion: z.number().int(),
  nodeId: z.string().nullable(),
  orderingKey: z.string().meta({ description: "The event's `subject`" }),
  eventId: z.string(),
  eventType: z.string(),
  error: z.string().meta({ description: "The last error" }),
  traceId: z.string(),
  runId: z.string().nullable(),
  sequence: z.string().meta({ description: "JetStream stream sequence (a 64-bit integer as a string)" }),
  partition: z.number().int(),
  status: z.enum(deadLetterStatuses),
  attemptCount: z.number().int(),
  createdAt: isoDate,
  updatedAt: isoDate,
});
export const deadLetterListJsonSchema = z.object({
  deadLetters: z.array(deadLetterSummaryJsonSchema),
  nextCursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last page" }),
});
export const deadLetterDetailJsonSchema = deadLetterSummaryJsonSchema.extend({
  event: z.unknown().meta({ description: "The CloudEvent (edited, if a redrive edited it)" }),
  headers: z.unknown(),
  attempts: z.array(z.unknown()).meta({ description: "[{ at, error, transient }]" }),
  steps: z.array(z.unknown()).meta({ description: "Steps that had succeeded before the failure; a redrive resumes after them" }),
});
export const bulkRedriveResultJsonSchema = z.object({
  requested: z.array(z.string()),
  notFound: z.array(z.string()),
  notOpen: z.array(z.string()),
});
