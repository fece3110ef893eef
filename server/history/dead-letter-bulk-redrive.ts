import "server-only";
import * as z from "zod";
import fastJsonPatch, { type Operation } from "fast-json-patch";
import type { Prisma, PrismaClient } from "@/server/db/generated/client";
import { evaluateExpression } from "@/server/expressions/evaluate-expression";
import { ExpressionError } from "@/server/expressions/expression-syntax";
import { ConflictError, InvalidInputError, NotFoundError } from "@/server/domain-errors";
import { natsWorkerNotifier } from "@/server/runtime/worker-notifier";
import { flowNames } from "@/server/history/run-history";
import { discardDeadLetter, heldPolicySchema, MAX_BULK_IDS, type DeadLetterStoreOptions, type DiscardOptions } from "@/server/history/dead-letter-store";
import { editedEventIssues, heldBehind, inboxFilterSchema, listInbox } from "./dead-letter-inbox";

// Bulk redrive with an optional payload transform. The preview and the run share one planning
// step, so what the preview shows is exactly what is then sent. The run only records the request
// (edited event + status `redrive-requested`) in one transaction; the partition's worker redrives
// a key's letters one at a time in stream order, which keeps each key's order.

type Db = PrismaClient;
const { applyPatch, compare, validate: validatePatch } = fastJsonPatch;

const jsonPatchOperationSchema = z.object({
  op: z.enum(["add", "remove", "replace", "move", "copy", "test"]),
  path: z.string().max(1000),
  from: z.string().max(1000).optional(),
  value: z.unknown().optional(),
});

const transformSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("none") }),
  z.object({ kind: z.literal("jsonata"), expression: z.string().trim().min(1, "enter a JSONata expression").max(10_000) }),
  z.object({ kind: z.literal("json-patch"), patch: z.array(jsonPatchOperationSchema).min(1, "add at least one operation").max(200) }),
]);
export type PayloadTransform = z.infer<typeof transformSchema>;

const bulkSelectionSchema = z.union([
  z.object({ ids: z.array(z.string().min(1).max(200)).min(1, "select at least one dead letter").max(MAX_BULK_IDS) }),
  z.object({ filter: inboxFilterSchema }),
]);

export const bulkRedriveInputSchema = z.object({
  selection: bulkSelectionSchema,
  transform: transformSchema.default({ kind: "none" }),
});
export type BulkRedriveInput = z.input<typeof bulkRedriveInputSchema>;

export interface PlannedRedrive {
  id: string;
  flowId: string;
  flowName: string | null;
  orderingKey: string;
  eventId: string;
  before: unknown;
  after: unknown;
  /** JSON Patch from the stored payload (`data`) to the one that will be sent. */
  diff: Operation[];
  /** Why this one will be skipped (the transform failed or the result breaks the schema). */
  problem: string | null;
  /** Later events of the key that run once this letter succeeds. */
  heldBehind: number;
}

export interface BulkPreview {
  letters: PlannedRedrive[];
  willRedrive: number;
  willSkip: number;
  /** Action calls the redrive makes, per outside system (one per remaining action node per event). */
  calls: { system: string; count: number }[];
  /** Calls the released held events make on top, once their letters succeed. */
  heldCalls: number;
}

type LetterRow = Prisma.DeadLetterGetPayload<{ select: typeof letterSelect }>;
const letterSelect = { id: true, flowId: true, flowVersion: true, orderingKey: true, eventId: true, event: true, steps: true, sequence: true, status: true } as const;

async function selectedLetters(db: Db, selection: z.output<typeof bulkSelectionSchema>): Promise<LetterRow[]> {
  const ids = "ids" in selection ? selection.ids : (await listInbox(db, selection.filter)).groups.flatMap((g) => g.letters.filter((l) => l.status === "open").map((l) => l.id));
  if (ids.length === 0) return [];
  // Key by key, each in stream order: the order the worker will redrive them in.
  return db.deadLetter.findMany({ where: { id: { in: ids }, status: "open" }, orderBy: [{ flowId: "asc" }, { orderingKey: "asc" }, { sequence: "asc" }], select: letterSelect });
}

async function transformData(transform: PayloadTransform, event: Record<string, unknown>): Promise<unknown> {
  const data = structuredClone(event.data);
  if (transform.kind === "none") return data;
  if (transform.kind === "jsonata") return evaluateExpression(transform.expression, { event, steps: {} });
  const patch = transform.patch as Operation[];
  const invalid = validatePatch(patch, data);
  if (invalid) throw new Error(`JSON Patch ${invalid.name.toLowerCase().replace(/_/g, " ")} at operation ${Number(invalid.index) + 1}`);
  return applyPatch(data, patch, false, true).newDocument;
}

/** Where an action node's calls go, in words an operator recognises. */
function systemOf(node: { kind: string; config?: Record<string, unknown> }, channels: Map<string, string>): string {
  const config = node.config ?? {};
  if (node.kind === "action:http-request" && typeof config.url === "string") {
    try { return `HTTP ${new URL(config.url).host}`; } catch { return "HTTP request"; }
  }
  if (node.kind === "action:sync-channel" && typeof config.channelId === "string") return `Channel ${channels.get(config.channelId) ?? config.channelId}`;
  if (typeof config.provider === "string") return `${node.kind.replace(/^action:/, "")} (${config.provider})`;
  return node.kind.replace(/^action:/, "");
}

async function plan(db: Db, input: BulkRedriveInput) {
  const { selection, transform } = bulkRedriveInputSchema.parse(input);
  if (transform.kind === "json-patch") {
    const invalid = validatePatch(transform.patch as Operation[]);
    if (invalid) throw new InvalidInputError("The JSON Patch is not valid.", [{ path: "transform.patch", message: invalid.message.split("\n")[0] ?? invalid.name }]);
  }
  const rows = await selectedLetters(db, selection);
  const names = await flowNames(db, rows.map((r) => r.flowId));
  const held = await heldBehind(db, rows);
  const versions = await db.flowVersion.findMany({
    where: { OR: [...new Map(rows.map((r) => [`${r.flowId}:${r.flowVersion}`, { flowId: r.flowId, version: r.flowVersion }])).values()] },
    select: { flowId: true, version: true, document: true },
  });
  const documents = new Map(versions.map((v) => [`${v.flowId}:${v.version}`, v.document as { nodes?: { id: string; kind: string; config?: Record<string, unknown> }[] }]));
  const channels = new Map((await db.channel.findMany({ select: { id: true, name: true } })).map((c) => [c.id, c.name]));
  const calls = new Map<string, number>();
  let heldCalls = 0;
  const releasedKeys = new Set<string>();
  const letters: (PlannedRedrive & { newEvent: Prisma.InputJsonValue | null })[] = [];

  for (const row of rows) {
    const event = (row.event ?? {}) as Record<string, unknown>;
    let after: unknown = event.data;
    let problem: string | null = null;
    try {
      after = await transformData(transform, event);
    } catch (error) {
      problem = error instanceof ExpressionError ? `the expression failed: ${error.message}` : `the transform failed: ${(error as Error).message}`;
    }
    const newEvent = { ...event, data: after };
    if (!problem && transform.kind !== "none") {
      const issues = await editedEventIssues(db, event, newEvent);
      if (issues.length) problem = `the result breaks the schema: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`;
    }
    const pair = JSON.stringify([row.flowId, row.orderingKey]);
    const waiting = held.get(pair)?.count ?? 0;
    if (!problem) {
      const done = new Set((Array.isArray(row.steps) ? row.steps : []).map((s) => (s as { nodeId?: string; status?: string }).status === "succeeded" ? (s as { nodeId: string }).nodeId : ""));
      const actions = (documents.get(`${row.flowId}:${row.flowVersion}`)?.nodes ?? []).filter((n) => n.kind.startsWith("action:"));
      for (const node of actions) if (!done.has(node.id)) calls.set(systemOf(node, channels), (calls.get(systemOf(node, channels)) ?? 0) + 1);
      if (!releasedKeys.has(pair)) {
        releasedKeys.add(pair);
        heldCalls += waiting * actions.length;
      }
    }
    letters.push({
      id: row.id, flowId: row.flowId, flowName: names.get(row.flowId) ?? null, orderingKey: row.orderingKey, eventId: row.eventId,
      before: event.data, after, diff: problem ? [] : compare((event.data ?? {}) as object, (after ?? {}) as object), problem, heldBehind: waiting,
      newEvent: problem || transform.kind === "none" ? null : (newEvent as Prisma.InputJsonValue),
    });
  }
  return { letters, calls, heldCalls };
}

/** What a bulk redrive would do, without changing anything. */
export async function previewBulkRedrive(db: Db, input: BulkRedriveInput): Promise<BulkPreview> {
  const { letters, calls, heldCalls } = await plan(db, input);
  const willSkip = letters.filter((l) => l.problem).length;
  return {
    letters: letters.map(({ newEvent: _newEvent, ...rest }) => rest),
    willRedrive: letters.length - willSkip,
    willSkip,
    calls: [...calls].map(([system, count]) => ({ system, count })).sort((a, b) => b.count - a.count || a.system.localeCompare(b.system)),
    heldCalls,
  };
}

export interface BulkRedriveStarted {
  /** Letters now waiting for the worker, in the order it will redrive them per key. */
  requested: string[];
  skipped: { id: string; reason: string }[];
}

/**
 * Records the redrive of every planned letter that has no problem: the transformed event and the
 * status change in one transaction, so workers see a key's letters together.
 */
export async function startBulkRedrive(db: Db, input: BulkRedriveInput, options: DeadLetterStoreOptions = {}): Promise<BulkRedriveStarted> {
  const { letters } = await plan(db, input);
  const runnable = letters.filter((l) => !l.problem);
  const changed = await db.$transaction(async (tx) => {
    const rows: { id: string; partition: number }[] = [];
    for (const letter of runnable) {
      const [row] = await tx.deadLetter.updateManyAndReturn({
        where: { id: letter.id, status: "open" },
        data: { status: "redrive-requested", resolvedBy: options.by ?? null, ...(letter.newEvent !== null ? { event: letter.newEvent } : {}) },
        select: { id: true, partition: true },
      });
      if (row) rows.push(row);
    }
    return rows;
  });
  const byPartition = new Map<number, string[]>();
  for (const row of changed) byPartition.set(row.partition, [...(byPartition.get(row.partition) ?? []), row.id]);
  await (options.notify ?? natsWorkerNotifier())([...byPartition].map(([partition, deadLetterIds]) => ({ topic: "dead-letters" as const, partition, deadLetterIds })));
  const requested = new Set(changed.map((r) => r.id));
  return {
    requested: runnable.filter((l) => requested.has(l.id)).map((l) => l.id),
    skipped: [
      ...letters.filter((l) => l.problem).map((l) => ({ id: l.id, reason: l.problem! })),
      ...runnable.filter((l) => !requested.has(l.id)).map((l) => ({ id: l.id, reason: "it was no longer open" })),
    ],
  };
}

export const progressInputSchema = z.object({ ids: z.array(z.string().min(1).max(200)).min(1).max(MAX_BULK_IDS) });

export interface BulkProgress {
  total: number;
  waiting: number;
  redriven: number;
  /** Back to open: the redrive failed again. */
  failedAgain: number;
  discarded: number;
  done: boolean;
}

/** How far a bulk redrive got, for the progress bar and the result summary. */
export async function bulkRedriveProgress(db: Db, ids: string[]): Promise<BulkProgress> {
  const rows = await db.deadLetter.groupBy({ by: ["status"], where: { id: { in: ids } }, _count: { _all: true } });
  const count = (status: string) => rows.find((r) => r.status === status)?._count._all ?? 0;
  const waiting = count("redrive-requested");
  return { total: ids.length, waiting, redriven: count("redriven"), failedAgain: count("open"), discarded: count("discarded"), done: waiting === 0 };
}

export const discardManyInputSchema = z.object({
  ids: z.array(z.string().min(1).max(200)).min(1, "select at least one dead letter").max(MAX_BULK_IDS),
  held: heldPolicySchema,
});

/**
 * Discards each letter; the events its key was holding are released and run in order (the
 * worker sees the discard and drains the key's queue), or with `held: "discard"` dropped too.
 */
export async function discardMany(db: Db, ids: string[], options: DiscardOptions = {}) {
  const discarded: string[] = [];
  const refused: { id: string; reason: string }[] = [];
  for (const id of ids) {
    try {
      await discardDeadLetter(db, id, options);
      discarded.push(id);
    } catch (error) {
      if (!(error instanceof NotFoundError || error instanceof ConflictError || error instanceof InvalidInputError)) throw error;
      refused.push({ id, reason: error.message });
    }
  }
  return { discarded, refused };
}
