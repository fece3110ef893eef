import "server-only";
import * as z from "zod";
import { createTRPCRouter, editorProcedure, viewerProcedure } from "@/server/api/trpc";

import { getRun, keyTimeline, listRuns, runListFilterSchema, subjectParam, limitParam } from "@/server/history/run-history";
import { runFilterSchema, runSearchSchema, searchRuns } from "@/server/history/run-search";
import { getRunDetail } from "@/server/history/run-detail";
import { liveRunHead } from "@/server/history/live-runs";
import { flowRunStats } from "@/server/history/flow-run-stats";
import { rerunRun } from "@/server/events/rerun-event";

const runId = z.object({ id: z.string().min(1).max(200) });

export const runsRouter = createTRPCRouter({
  list: viewerProcedure.input(runListFilterSchema).query(({ ctx, input }) => listRuns(ctx.db, input)),

  get: viewerProcedure.input(runId).query(({ ctx, input }) => getRun(ctx.db, input.id)),

  /** The runs page: every filter, the business-key search and keyset paging. */
  search: viewerProcedure.input(runSearchSchema).query(({ ctx, input }) => searchRuns(ctx.db, input)),

  /** The newest page of a filter, again whenever it changes (SSE). */
  live: viewerProcedure.input(runFilterSchema).subscription(async function* ({ ctx, input, signal }) {
    yield* liveRunHead(ctx.db, input, { signal });
  }),

  /** The run detail page. */
  detail: viewerProcedure.input(runId).query(({ ctx, input }) => getRunDetail(ctx.db, input.id)),

  /** Runs the event again from the start with a new id (side effects repeat). */
  rerun: editorProcedure
    .input(runId.extend({ version: z.enum(["original", "published"], { error: "choose the version it ran on or the published one" }) }))
    .mutation(({ ctx, input }) => rerunRun(ctx.db, input.id, input.version)),

  /** Per flow: last run, runs and failures in 24 h, open dead letters (the flows list). */
  flowStats: viewerProcedure
    .input(z.object({ flowIds: z.array(z.string().min(1).max(200)).max(500) }))
    .query(({ ctx, input }) => flowRunStats(ctx.db, input.flowIds)),

  /** Everything that happened to one ordering key across all flows. */
  timeline: viewerProcedure
    .input(z.object({ subject: subjectParam, limit: limitParam }))
    .query(({ ctx, input }) => keyTimeline(ctx.db, input.subject, { limit: input.limit })),
});
