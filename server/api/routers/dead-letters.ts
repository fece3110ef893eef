import "server-only";
import { z } from "zod";
import { createTRPCRouter, publicProcedure } from "@/server/api/trpc";

import { flowIdParam, subjectParam } from "@/server/history/run-history";
import {
  MAX_BULK_IDS,
  deadLetterListFilterSchema,
  discardDeadLetter,
  getDeadLetter,
  listDeadLetters,
  requestRedrive,
  requestRedriveMany,
} from "@/server/history/dead-letter-store";
import { env } from "@/server/env";
import { eventsStreamName } from "@/server/runtime/stream-layout";
import {
  editedEventIssues,
  inboxDetail,
  inboxFilterSchema,
  listInbox,
  listResolved,
  openDeadLetterCount,
  redriveOne,
  redriveOneSchema,
} from "@/server/history/dead-letter-inbox";
import {
  bulkRedriveInputSchema,
  bulkRedriveProgress,
  discardManyInputSchema,
  discardMany,
  previewBulkRedrive,
  progressInputSchema,
  startBulkRedrive,
} from "@/server/history/dead-letter-bulk-redrive";

const deadLetterId = z.object({ id: z.string().min(1).max(200) });

export const deadLettersRouter = createTRPCRouter({
  list: publicProcedure.input(deadLetterListFilterSchema).query(({ ctx, input }) => listDeadLetters(ctx.db, input)),

  get: publicProcedure.input(deadLetterId).query(({ ctx, input }) => getDeadLetter(ctx.db, input.id)),

  /** `event`: the edited CloudEvent to run instead (id, type and subject must stay). */
  redrive: publicProcedure
    .input(deadLetterId.extend({ event: z.unknown().optional() }))
    .mutation(({ ctx, input }) => requestRedrive(ctx.db, input.id, { event: input.event })),

  redriveMany: publicProcedure
    .input(
      z.union([
        z.object({ ids: z.array(z.string().min(1).max(200)).min(1).max(MAX_BULK_IDS) }),
        z.object({ flowId: flowIdParam.optional(), subject: subjectParam.optional() }),
      ]),
    )
    .mutation(({ ctx, input }) => requestRedriveMany(ctx.db, input)),

  discard: publicProcedure.input(deadLetterId).mutation(({ ctx, input }) => discardDeadLetter(ctx.db, input.id)),

  // The inbox page (server/history/dead-letter-inbox.ts, dead-letter-bulk-redrive.ts).
  inbox: publicProcedure.input(inboxFilterSchema).query(({ ctx, input }) => listInbox(ctx.db, input)),

  resolved: publicProcedure
    .input(z.object({ flowId: flowIdParam.optional(), subject: subjectParam.optional() }))
    .query(({ ctx, input }) => listResolved(ctx.db, input)),

  openCount: publicProcedure.query(({ ctx }) => openDeadLetterCount(ctx.db)),

  detail: publicProcedure
    .input(deadLetterId)
    .query(({ ctx, input }) => inboxDetail(ctx.db, input.id, eventsStreamName({ prefix: env().SYNCLINE_PREFIX }))),

  /** Field issues of an edited event (empty: it can be sent), checked as the person types. */
  checkEdit: publicProcedure
    .input(deadLetterId.extend({ event: z.unknown() }))
    .query(async ({ ctx, input }) => {
      const row = await ctx.db.deadLetter.findUnique({ where: { id: input.id }, select: { event: true } });
      return row ? editedEventIssues(ctx.db, row.event, input.event) : [{ path: "", message: "this dead letter no longer exists" }];
    }),

  redriveOne: publicProcedure.input(redriveOneSchema).mutation(({ ctx, input }) => redriveOne(ctx.db, input)),

  previewBulkRedrive: publicProcedure.input(bulkRedriveInputSchema).mutation(({ ctx, input }) => previewBulkRedrive(ctx.db, input)),

  startBulkRedrive: publicProcedure.input(bulkRedriveInputSchema).mutation(({ ctx, input }) => startBulkRedrive(ctx.db, input)),

  bulkProgress: publicProcedure.input(progressInputSchema).query(({ ctx, input }) => bulkRedriveProgress(ctx.db, input.ids)),

  discardMany: publicProcedure.input(discardManyInputSchema).mutation(({ ctx, input }) => discardMany(ctx.db, input.ids)),
});
