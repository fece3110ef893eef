import "server-only";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { createTRPCRouter, publicProcedure } from "@/server/api/trpc";
import { ConflictError, InvalidInputError, NotFoundError } from "@/server/domain-errors";
import { getRun, keyTimeline, listRuns, runListFilterSchema, subjectParam, limitParam } from "@/server/history/run-history";

/**
 * The history stores report refusals as domain errors; the UI gets the same refusal as the
 * matching tRPC code, with field issues folded into the message it shows.
 */
export const historyProcedure = publicProcedure.use(async ({ next }) => {
  const result = await next();
  const cause = result.ok ? undefined : result.error.cause;
  if (cause instanceof NotFoundError) throw new TRPCError({ code: "NOT_FOUND", message: cause.message, cause });
  if (cause instanceof ConflictError) throw new TRPCError({ code: "CONFLICT", message: cause.message, cause });
  if (cause instanceof InvalidInputError) {
    const details = cause.issues.length ? ` ${cause.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ")}` : "";
    throw new TRPCError({ code: "BAD_REQUEST", message: `${cause.message}${details}`, cause });
  }
  return result;
});

export const runsRouter = createTRPCRouter({
  list: historyProcedure.input(runListFilterSchema).query(({ ctx, input }) => listRuns(ctx.db, input)),

  get: historyProcedure.input(z.object({ id: z.string().min(1).max(200) })).query(({ ctx, input }) => getRun(ctx.db, input.id)),

  /** Everything that happened to one ordering key across all flows. */
  timeline: historyProcedure
    .input(z.object({ subject: subjectParam, limit: limitParam }))
    .query(({ ctx, input }) => keyTimeline(ctx.db, input.subject, { limit: input.limit })),
});
