import "server-only";
import { TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { z } from "zod";
import { createMiddleware, createTRPCRouter, viewerProcedure } from "@/server/api/trpc";
import { ApiError } from "@/server/http/api-response";
import { getRun, keyTimeline, listRuns, runListFilterSchema, subjectParam, limitParam } from "@/server/runtime/run-history";

const codes: Record<number, TRPC_ERROR_CODE_KEY> = { 400: "BAD_REQUEST", 404: "NOT_FOUND", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE" };

/**
 * The history stores report refusals as ApiErrors (the HTTP API's currency); the UI gets the same
 * refusal as the matching tRPC code, with field issues folded into the message it shows.
 */
export const historyErrors = createMiddleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof ApiError) {
    const cause = result.error.cause;
    const details = cause.issues?.length ? ` ${cause.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ")}` : "";
    throw new TRPCError({ code: codes[cause.status] ?? "INTERNAL_SERVER_ERROR", message: `${cause.message}${details}`, cause });
  }
  return result;
});

export const runsRouter = createTRPCRouter({
  list: viewerProcedure.use(historyErrors).input(runListFilterSchema).query(({ ctx, input }) => listRuns(ctx.db, input)),

  get: viewerProcedure.use(historyErrors).input(z.object({ id: z.string().min(1).max(200) })).query(({ ctx, input }) => getRun(ctx.db, input.id)),

  /** Everything that happened to one ordering key across all flows. */
  timeline: viewerProcedure
    .use(historyErrors)
    .input(z.object({ subject: subjectParam, limit: limitParam }))
    .query(({ ctx, input }) => keyTimeline(ctx.db, input.subject, { limit: input.limit })),
});
