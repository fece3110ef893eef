import "server-only";
import { TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { z } from "zod";
import { createTRPCRouter, publicProcedure } from "@/server/api/trpc";
import { ApiError } from "@/server/http/api-response";
import { getRun, keyTimeline, listRuns, runListFilterSchema, subjectParam, limitParam } from "@/server/runtime/run-history";
import { runFilterSchema, runSearchSchema, searchRuns } from "@/server/history/run-search";
import { getRunDetail } from "@/server/history/run-detail";
import { liveRunHead } from "@/server/history/live-runs";
import { flowRunStats } from "@/server/history/flow-run-stats";
import { rerunRun } from "@/server/events/rerun-event";

const codes: Record<number, TRPC_ERROR_CODE_KEY> = { 400: "BAD_REQUEST", 404: "NOT_FOUND", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE", 503: "SERVICE_UNAVAILABLE" };

/**
 * The history stores report refusals as ApiErrors (the HTTP API's currency); the UI gets the same
 * refusal as the matching tRPC code, with field issues folded into the message it shows.
 */
export const historyProcedure = publicProcedure.use(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof ApiError) {
    const cause = result.error.cause;
    const details = cause.issues?.length ? ` ${cause.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ")}` : "";
    throw new TRPCError({ code: codes[cause.status] ?? "INTERNAL_SERVER_ERROR", message: `${cause.message}${details}`, cause });
  }
  return result;
});

const runId = z.object({ id: z.string().min(1).max(200) });

export const runsRouter = createTRPCRouter({
  list: historyProcedure.input(runListFilterSchema).query(({ ctx, input }) => listRuns(ctx.db, input)),

  get: historyProcedure.input(runId).query(({ ctx, input }) => getRun(ctx.db, input.id)),

  /** The runs page: every filter, the business-key search and keyset paging. */
  search: historyProcedure.input(runSearchSchema).query(({ ctx, input }) => searchRuns(ctx.db, input)),

  /** The newest page of a filter, again whenever it changes (SSE). */
  live: historyProcedure.input(runFilterSchema).subscription(async function* ({ ctx, input, signal }) {
    yield* liveRunHead(ctx.db, input, { signal });
  }),

  /** The run detail page. */
  detail: historyProcedure.input(runId).query(({ ctx, input }) => getRunDetail(ctx.db, input.id)),

  /** Runs the event again from the start with a new id (side effects repeat). */
  rerun: historyProcedure
    .input(runId.extend({ version: z.enum(["original", "published"], { error: "choose the version it ran on or the published one" }) }))
    .mutation(({ ctx, input }) => rerunRun(ctx.db, input.id, input.version)),

  /** Per flow: last run, runs and failures in 24 h, open dead letters (the flows list). */
  flowStats: historyProcedure
    .input(z.object({ flowIds: z.array(z.string().min(1).max(200)).max(500) }))
    .query(({ ctx, input }) => flowRunStats(ctx.db, input.flowIds)),

  /** Everything that happened to one ordering key across all flows. */
  timeline: historyProcedure
    .input(z.object({ subject: subjectParam, limit: limitParam }))
    .query(({ ctx, input }) => keyTimeline(ctx.db, input.subject, { limit: input.limit })),
});
