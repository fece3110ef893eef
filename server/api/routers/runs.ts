import "server-only";
import { z } from "zod";
import { createTRPCRouter } from "@/server/api/trpc";
import { historyProcedure } from "@/server/api/history-procedure";
import { getRun, keyTimeline, listRuns, runListFilterSchema, subjectParam, limitParam } from "@/server/runtime/run-history";

export const runsRouter = createTRPCRouter({
  list: historyProcedure.input(runListFilterSchema).query(({ ctx, input }) => listRuns(ctx.db, input)),

  get: historyProcedure.input(z.object({ id: z.string().min(1).max(200) })).query(({ ctx, input }) => getRun(ctx.db, input.id)),

  /** Everything that happened to one ordering key across all flows. */
  timeline: historyProcedure
    .input(z.object({ subject: subjectParam, limit: limitParam }))
    .query(({ ctx, input }) => keyTimeline(ctx.db, input.subject, { limit: input.limit })),
});
