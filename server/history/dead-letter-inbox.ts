import "server-only";
import * as z from "zod";
import type { Prisma, PrismaClient } from "@/server/db/generated/client";
import { cloudEventSchema } from "@/server/events/event-types";
import { createEventSchemaRegistry } from "@/server/events/event-schema-registry";
import { ConflictError, InvalidInputError, NotFoundError } from "@/server/domain-errors";

type FieldIssue = InvalidInputError["issues"][number];
import { fieldIssues, flowIdParam, flowNames, subjectParam } from "@/server/history/run-history";
import { errorClasses, errorClassOf, type ErrorClass } from "./error-classes";
import { letterSources, type LetterSource } from "@/server/sources/source-dead-letters";
import { getDeadLetter, requestRedrive, type DeadLetterStoreOptions, type DeadLetterSummary } from "@/server/history/dead-letter-store";

// The read model behind the dead-letter inbox page: open letters grouped by (flow, key) with the
// events each key holds behind them, the resolved ones, and the detail with everything needed to
// decide whether to edit, redrive or discard. Writes go through dead-letter-store.

type Db = PrismaClient;

/** Open letters the inbox loads at once; a backlog larger than this is narrowed with the filters. */
const INBOX_LIMIT = 1000;

const ageFilters = ["1h", "24h", "7d", "older"] as const;
const ageBoundsMs: Record<(typeof ageFilters)[number], [number, number]> = {
  "1h": [0, 3600_000],
  "24h": [0, 24 * 3600_000],
  "7d": [0, 7 * 24 * 3600_000],
  older: [7 * 24 * 3600_000, Number.POSITIVE_INFINITY],
};

export const inboxFilterSchema = z.object({
  flowId: flowIdParam.optional(),
  subject: subjectParam.optional(),
  nodeId: z.string().trim().min(1).max(200).optional(),
  errorClass: z.enum(errorClasses).optional(),
  age: z.enum(ageFilters).optional().meta({ description: "1h / 24h / 7d: dead-lettered within; older: more than 7 days ago" }),
});
export type InboxFilter = z.input<typeof inboxFilterSchema>;

export interface InboxLetter extends DeadLetterSummary {
  errorClass: ErrorClass;
  /** A message a source could not turn into an event: the source (Settings → Sources); null for a flow's letter. */
  source: LetterSource | null;
}

export interface HeldBehind {
  /** Later events of this key waiting in this flow. */
  count: number;
  oldestAt: Date;
}

export interface InboxGroup {
  flowId: string;
  flowName: string | null;
  /** The source, when the letters are messages it could not turn into events. */
  source: LetterSource | null;
  orderingKey: string;
  letters: InboxLetter[];
  held: HeldBehind | null;
}

export interface Inbox {
  groups: InboxGroup[];
  total: number;
  /** More open letters match than INBOX_LIMIT. */
  truncated: boolean;
  /** What the filter menus offer (over all open letters, not just the filtered ones). */
  facets: { flows: { id: string; name: string | null }[]; nodes: string[] };
}

const summarySelect = {
  id: true, flowId: true, flowVersion: true, nodeId: true, orderingKey: true, eventId: true, eventType: true, error: true,
  traceId: true, runId: true, sequence: true, partition: true, status: true, attempts: true, createdAt: true, updatedAt: true,
} as const satisfies Prisma.DeadLetterSelect;
type Row = Prisma.DeadLetterGetPayload<{ select: typeof summarySelect }>;

function toLetter(row: Row, names: Map<string, string>, sources: Map<string, LetterSource>): InboxLetter {
  const { attempts, sequence, ...rest } = row;
  return {
    ...rest,
    flowName: names.get(row.flowId) ?? null,
    source: sources.get(row.flowId) ?? null,
    sequence: sequence.toString(),
    attemptCount: Array.isArray(attempts) ? attempts.length : 0,
    errorClass: errorClassOf(row.error),
  };
}

const OPEN = ["open", "redrive-requested"];

function whereFor(filter: z.output<typeof inboxFilterSchema>, now: number): Prisma.DeadLetterWhereInput {
  const where: Prisma.DeadLetterWhereInput = { status: { in: OPEN } };
  if (filter.flowId) where.flowId = filter.flowId;
  if (filter.subject) where.orderingKey = filter.subject;
  if (filter.nodeId) where.nodeId = filter.nodeId;
  if (filter.age) {
    const [min, max] = ageBoundsMs[filter.age];
    where.createdAt = { lte: new Date(now - min), ...(Number.isFinite(max) ? { gt: new Date(now - max) } : {}) };
  }
  return where;
}

/** Events waiting behind open letters, per (flow, key). */
export async function heldBehind(db: Db, pairs: { flowId: string; orderingKey: string }[]): Promise<Map<string, HeldBehind>> {
  const result = new Map<string, HeldBehind>();
  if (pairs.length === 0) return result;
  const flows = [...new Set(pairs.map((p) => p.flowId))];
  const keys = [...new Set(pairs.map((p) => p.orderingKey))];
  const rows = await db.heldEvent.groupBy({
    by: ["flowId", "orderingKey"],
    where: { flowId: { in: flows }, orderingKey: { in: keys } },
    _count: { _all: true },
    _min: { createdAt: true },
  });
  const wanted = new Set(pairs.map((p) => pairKey(p.flowId, p.orderingKey)));
  for (const row of rows) {
    const key = pairKey(row.flowId, row.orderingKey);
    if (wanted.has(key) && row._min.createdAt) result.set(key, { count: row._count._all, oldestAt: row._min.createdAt });
  }
  return result;
}

const pairKey = (flowId: string, orderingKey: string) => JSON.stringify([flowId, orderingKey]);

/** Open letters (and ones waiting for their redrive), grouped by flow and key, oldest key first. */
export async function listInbox(db: Db, input: InboxFilter = {}, now = Date.now()): Promise<Inbox> {
  const filter = inboxFilterSchema.parse(input);
  const [rows, facetRows] = await Promise.all([
    db.deadLetter.findMany({ where: whereFor(filter, now), orderBy: [{ flowId: "asc" }, { orderingKey: "asc" }, { sequence: "asc" }], take: INBOX_LIMIT + 1, select: summarySelect }),
    db.deadLetter.groupBy({ by: ["flowId", "nodeId"], where: { status: { in: OPEN } } }),
  ]);
  const truncated = rows.length > INBOX_LIMIT;
  const flowIds = new Set([...rows.map((r) => r.flowId), ...facetRows.map((r) => r.flowId)]);
  const [names, sources] = await Promise.all([flowNames(db, flowIds), letterSources(db, flowIds)]);
  let letters = rows.slice(0, INBOX_LIMIT).map((row) => toLetter(row, names, sources));
  if (filter.errorClass) letters = letters.filter((l) => l.errorClass === filter.errorClass);

  const groups = new Map<string, InboxGroup>();
  for (const letter of letters) {
    const key = pairKey(letter.flowId, letter.orderingKey);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { flowId: letter.flowId, flowName: letter.flowName, source: letter.source, orderingKey: letter.orderingKey, letters: [], held: null }));
    group.letters.push(letter);
  }
  const held = await heldBehind(db, [...groups.values()]);
  for (const [key, group] of groups) group.held = held.get(key) ?? null;
  const oldest = (g: InboxGroup) => Math.min(...g.letters.map((l) => l.createdAt.getTime()));
  return {
    groups: [...groups.values()].sort((a, b) => oldest(a) - oldest(b)),
    total: letters.length,
    truncated,
    facets: {
      flows: [...flowIds].map((id) => ({ id, name: names.get(id) ?? null })).sort((a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id)),
      nodes: [...new Set(facetRows.map((r) => r.nodeId).filter((n): n is string => !!n))].sort(),
    },
  };
}

export interface ResolvedLetter extends InboxLetter {
  /** redriven | discard-requested | discarded */
  resolution: string;
  resolvedAt: Date;
  /** Who redrove or discarded it (null for letters resolved before this was recorded). */
  resolvedBy: string | null;
  /** For a held event discarded with the letter it waited behind: that letter's id. */
  heldBehind: string | null;
}

/** Redriven and discarded letters, most recently resolved first. */
export async function listResolved(db: Db, input: { flowId?: string; subject?: string; limit?: number } = {}): Promise<ResolvedLetter[]> {
  const rows = await db.deadLetter.findMany({
    where: { status: { in: ["redriven", "discard-requested", "discarded"] }, ...(input.flowId ? { flowId: input.flowId } : {}), ...(input.subject ? { orderingKey: input.subject } : {}) },
    orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
    take: Math.min(input.limit ?? 100, 500),
    select: { ...summarySelect, resolvedBy: true, heldBehind: true },
  });
  const flowIds = rows.map((r) => r.flowId);
  const [names, sources] = await Promise.all([flowNames(db, flowIds), letterSources(db, flowIds)]);
  return rows.map(({ resolvedBy, heldBehind, ...row }) => ({ ...toLetter(row, names, sources), resolution: row.status, resolvedAt: row.updatedAt, resolvedBy, heldBehind }));
}

/** For the top-bar badge. */
export async function openDeadLetterCount(db: Db): Promise<number> {
  return db.deadLetter.count({ where: { status: "open" } });
}

export interface Attempt {
  at: string | null;
  error: string;
  transient: boolean;
  nodeId: string | null;
  statusCode: number | null;
  durationMs: number | null;
  redrive: boolean;
}

function toAttempt(raw: unknown, steps: unknown[]): Attempt {
  const a = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const error = typeof a.error === "string" ? a.error : "";
  const nodeId = typeof a.nodeId === "string" && a.nodeId ? a.nodeId : null;
  const step = nodeId ? (steps as Record<string, unknown>[]).find((s) => s?.nodeId === nodeId) : undefined;
  const duration =
    typeof a.durationMs === "number" ? a.durationMs
      : step && typeof step.startedAt === "string" && typeof step.finishedAt === "string" ? Date.parse(step.finishedAt) - Date.parse(step.startedAt)
        : null;
  const code = typeof a.statusCode === "number" ? a.statusCode : Number(/\b(?:HTTP|status|answered)\s*(\d{3})\b/i.exec(error)?.[1] ?? NaN);
  return {
    at: typeof a.at === "string" ? a.at : null,
    error,
    transient: a.transient === true,
    nodeId,
    statusCode: Number.isFinite(code) ? code : null,
    durationMs: duration !== null && Number.isFinite(duration) ? duration : null,
    redrive: a.redrive === true,
  };
}

export interface InboxDetail {
  letter: InboxLetter;
  event: unknown;
  headers: Record<string, unknown>;
  attempts: Attempt[];
  stream: string;
  held: HeldBehind | null;
  /** The flow's current published version, to offer "redrive on the current version". */
  publishedVersion: number | null;
}

export async function inboxDetail(db: Db, id: string, streamName: string): Promise<InboxDetail> {
  const detail = await getDeadLetter(db, id);
  const { event, headers, attempts, steps, ...summary } = detail;
  const [held, flow, sources] = await Promise.all([
    heldBehind(db, [{ flowId: summary.flowId, orderingKey: summary.orderingKey }]),
    db.flow.findUnique({ where: { id: summary.flowId }, select: { publishedVersion: true } }),
    letterSources(db, [summary.flowId]),
  ]);
  // The run's step records carry timings; the failing node's last step gives the attempt's duration.
  const run = summary.runId ? await db.run.findUnique({ where: { id: summary.runId }, select: { steps: true } }) : null;
  const stepRecords = [...(Array.isArray(run?.steps) ? run.steps : []), ...steps];
  return {
    letter: { ...summary, errorClass: errorClassOf(summary.error), source: sources.get(summary.flowId) ?? null },
    event,
    headers: (headers && typeof headers === "object" ? headers : {}) as Record<string, unknown>,
    attempts: attempts.map((a) => toAttempt(a, stepRecords)),
    stream: streamName,
    held: held.get(pairKey(summary.flowId, summary.orderingKey)) ?? null,
    publishedVersion: flow?.publishedVersion ?? null,
  };
}

/**
 * What is wrong with an edited event before it is sent: not a CloudEvent, a changed id / type /
 * subject, or data that breaks its type's schema (built-in or registered). Empty: it can be sent.
 */
export async function editedEventIssues(db: Db, original: unknown, edited: unknown): Promise<FieldIssue[]> {
  const parsed = cloudEventSchema.safeParse(edited);
  if (!parsed.success) return fieldIssues(parsed.error);
  const before = (original ?? {}) as Record<string, unknown>;
  const issues: FieldIssue[] = [];
  for (const field of ["id", "type", "subject"] as const) {
    if (before[field] !== undefined && parsed.data[field] !== before[field]) {
      issues.push({ path: field, message: `must stay ${JSON.stringify(before[field])}: only the payload can be edited before a redrive` });
    }
  }
  if (issues.length) return issues;
  return createEventSchemaRegistry({ db: () => db, ttlMs: 0 }).validate(parsed.data.type, parsed.data.data);
}

const redriveVersions = ["failed", "current"] as const;
export const redriveOneSchema = z.object({
  id: z.string().min(1).max(200),
  event: z.unknown().optional(),
  version: z.enum(redriveVersions).default("failed").meta({ description: "Run the version it failed on, or the flow's current published version" }),
});

/**
 * Redrives one letter, optionally edited, on the version it failed on or on the flow's current
 * published version. Moving to another version drops the recorded steps: they belong to the old
 * graph, and the idempotency keys (which name the version) differ anyway.
 */
export async function redriveOne(db: Db, input: z.input<typeof redriveOneSchema>, options: DeadLetterStoreOptions = {}): Promise<DeadLetterSummary> {
  const { id, event, version } = redriveOneSchema.parse(input);
  const current = await db.deadLetter.findUnique({ where: { id }, select: { event: true, status: true, flowId: true, flowVersion: true } });
  if (!current) throw new NotFoundError(`No dead letter with id "${id}".`);
  if (event !== undefined) {
    const issues = await editedEventIssues(db, current.event, event);
    if (issues.length) throw new InvalidInputError("The edited event cannot be sent.", issues.map((i) => ({ ...i, path: `event.${i.path}` })));
  }
  if (version === "current" && current.status === "open") {
    const flow = await db.flow.findUnique({ where: { id: current.flowId }, select: { publishedVersion: true } });
    if (!flow?.publishedVersion) throw new ConflictError("The flow has no published version to redrive on. Publish the flow first.");
    if (flow.publishedVersion !== current.flowVersion) {
      await db.deadLetter.updateMany({ where: { id, status: "open" }, data: { flowVersion: flow.publishedVersion, steps: [] } });
    }
  }
  return requestRedrive(db, id, event === undefined ? {} : { event }, options);
}
