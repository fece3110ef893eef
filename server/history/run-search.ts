import "server-only";
import * as z from "zod";
import type { Prisma, PrismaClient } from "@/server/db/generated/client";
import {
  cursorParam,
  decodeCursor,
  encodeCursor,
  flowIdParam,
  flowNames,
  limitParam,
  parseFilter,
  runStatuses,
  subjectParam,
  type RunSummary,
} from "@/server/history/run-history";

// The runs page's query: every filter the page offers (flow, status, ordering key, event type,
// time range, test or production) plus the business-key search, newest first with a keyset cursor.
// Each filter is served by an index that continues with startedAt desc, and the business-key
// search by the GIN index on Run.businessKeys (docs/decisions/0011-run-search-by-business-key.md).

type Db = PrismaClient;

const runKinds = ["production", "test", "all"] as const;
export type RunKind = (typeof runKinds)[number];

const isoDateTime = z.coerce.date({ error: "use a date and time such as 2026-05-01T12:00" });

/** The filter fields, without paging: the live feed takes these. */
const runFilterFields = {
  flowId: flowIdParam.optional(),
  status: z.enum(runStatuses, { error: `choose one of ${runStatuses.join(", ")}` }).optional(),
  subject: subjectParam.optional(),
  eventType: z.string().trim().min(1).max(200).optional(),
  /** A business key: an ordering key, a SKU or an order id (exact match). */
  key: z.string().trim().min(1, "type a SKU, order id or ordering key").max(200, "a key has at most 200 characters").optional(),
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
  kind: z.enum(runKinds).default("production"),
};

function timeRangeInOrder(f: { from?: Date; to?: Date }) {
  return !f.from || !f.to || f.from <= f.to;
}
const timeRangeIssue = { path: ["to"], message: "the end of the time range is before its start" };

export const runFilterSchema = z.object(runFilterFields).refine(timeRangeInOrder, timeRangeIssue);
export const runSearchSchema = z
  .object({ ...runFilterFields, limit: limitParam, cursor: cursorParam.optional() })
  .refine(timeRangeInOrder, timeRangeIssue);
export type RunFilter = z.input<typeof runFilterSchema>;
export type RunSearch = z.input<typeof runSearchSchema>;

export const runListItemSelect = {
  id: true, flowId: true, flowVersion: true, eventId: true, eventType: true, orderingKey: true, status: true, attempts: true,
  traceId: true, sequence: true, startedAt: true, finishedAt: true, error: true, test: true,
} as const;
type RunListRow = Prisma.RunGetPayload<{ select: typeof runListItemSelect }>;

/** A run as the runs page lists it: the history's summary, and whether it was a test run. */
export interface RunListItem extends RunSummary {
  test: boolean;
}

export function toRunListItem(row: RunListRow, names: Map<string, string>): RunListItem {
  return {
    ...row,
    flowName: names.get(row.flowId) ?? null,
    sequence: row.sequence.toString(),
    durationMs: row.finishedAt ? row.finishedAt.getTime() - row.startedAt.getTime() : null,
  };
}

function runSearchWhere(filter: z.output<typeof runFilterSchema>): Prisma.RunWhereInput {
  const { flowId, status, subject, eventType, key, from, to, kind } = filter;
  return {
    ...(flowId !== undefined ? { flowId } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(subject !== undefined ? { orderingKey: subject } : {}),
    ...(eventType !== undefined ? { eventType } : {}),
    // `has` is `"businessKeys" @> ARRAY[key]`, which the GIN index answers.
    ...(key !== undefined ? { businessKeys: { has: key } } : {}),
    ...(kind !== "all" ? { test: kind === "test" } : {}),
    ...(from || to ? { startedAt: { ...(from ? { gte: from } : {}), ...(to ? { lte: to } : {}) } } : {}),
  };
}

export async function searchRuns(db: Db, input: RunSearch = {}): Promise<{ runs: RunListItem[]; nextCursor: string | null }> {
  const filter = parseFilter(runSearchSchema, input);
  const after = filter.cursor === undefined ? undefined : decodeCursor("runs", filter.cursor);
  const where = runSearchWhere(filter);
  const rows = await db.run.findMany({
    where: after
      ? {
          AND: [
            where,
            // The range is implied by the OR; it is there so each page starts inside the index.
            { startedAt: { lte: after.at }, OR: [{ startedAt: { lt: after.at } }, { startedAt: after.at, id: { lt: after.id } }] },
          ],
        }
      : where,
    orderBy: [{ startedAt: "desc" }, { id: "desc" }],
    take: filter.limit + 1,
    select: runListItemSelect,
  });
  const page = rows.slice(0, filter.limit);
  const names = await flowNames(db, page.map((r) => r.flowId));
  const last = page.at(-1);
  return {
    runs: page.map((row) => toRunListItem(row, names)),
    nextCursor: rows.length > filter.limit && last ? encodeCursor("runs", last.startedAt, last.id) : null,
  };
}
