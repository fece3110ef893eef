import "server-only";
import { z } from "zod";
import { createTRPCRouter, publicProcedure } from "@/server/api/trpc";

import { getRun, keyTimeline, listRuns, runListFilterSchema, subjectParam, limitParam } from "@/server/history/run-history";

export const runsRouter = createTRPCRouter({
  list: publicProcedure.input(runListFilterSchema).query(({ ctx, input }) => listRuns(ctx.db, input)),

  get: publicProcedure.input(z.object({ id: z.string().min(1).max(200) })).query(({ ctx, input }) => getRun(ctx.db, input.id)),

  /** Everything that happened to one ordering key across all flows. */
  timeline: publicProcedure
    .input(z.object({ subject: subjectParam, limit: limitParam }))
    .query(({ ctx, input }) => keyTimeline(ctx.db, input.subject, { limit: input.limit })),
});
