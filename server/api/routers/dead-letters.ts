import "server-only";
import * as z from "zod";
import { createTRPCRouter, editorProcedure, viewerProcedure } from "@/server/api/trpc";
import { recordAudit } from "@/server/audit/audit-log";
import { flowIdParam, subjectParam } from "@/server/history/run-history";
import {
  MAX_BULK_IDS,
  deadLetterListFilterSchema,
  discardDeadLetter,
  getDeadLetter,
  heldPolicySchema,
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
  list: viewerProcedure.input(deadLetterListFilterSchema).query(({ ctx, input }) => listDeadLetters(ctx.db, input)),

  get: viewerProcedure.input(deadLetterId).query(({ ctx, input }) => getDeadLetter(ctx.db, input.id)),

  /** `event`: the edited CloudEvent to run instead (id, type and subject must stay). */
  redrive: editorProcedure
    .input(deadLetterId.extend({ event: z.unknown().optional() }))
    .mutation(async ({ ctx, input }) => {
      const result = await requestRedrive(ctx.db, input.id, { event: input.event }, { by: ctx.actor.label });
      await recordAudit(ctx.db, ctx.actor, "deadLetter.redriven", { type: "deadLetter", id: input.id }, { edited: input.event !== undefined });
      return result;
    }),

  redriveMany: editorProcedure
    .input(
      z.union([
        z.object({ ids: z.array(z.string().min(1).max(200)).min(1).max(MAX_BULK_IDS) }),
        z.object({ flowId: flowIdParam.optional(), subject: subjectParam.optional() }),
      ]),
    )
    .mutation(async ({ ctx, input }) => {
      const result = await requestRedriveMany(ctx.db, input, { by: ctx.actor.label });
      await recordAudit(ctx.db, ctx.actor, "deadLetter.redriven", { type: "deadLetter", id: "ids" in input ? input.ids.join(",") : "*" }, { filter: "ids" in input ? null : input });
      return result;
    }),

  /** `held`: release the events held behind the letter (default) or discard them too. */
  discard: editorProcedure
    .input(deadLetterId.extend({ held: heldPolicySchema }))
    .mutation(async ({ ctx, input }) => {
      const result = await discardDeadLetter(ctx.db, input.id, { held: input.held, by: ctx.actor.label });
      await recordAudit(ctx.db, ctx.actor, "deadLetter.discarded", { type: "deadLetter", id: input.id }, { held: input.held });
      return result;
    }),

  // The inbox page (server/history/dead-letter-inbox.ts, dead-letter-bulk-redrive.ts).
  inbox: viewerProcedure.input(inboxFilterSchema).query(({ ctx, input }) => listInbox(ctx.db, input)),

  resolved: viewerProcedure
    .input(z.object({ flowId: flowIdParam.optional(), subject: subjectParam.optional() }))
    .query(({ ctx, input }) => listResolved(ctx.db, input)),

  openCount: viewerProcedure.query(({ ctx }) => openDeadLetterCount(ctx.db)),

  detail: viewerProcedure
    .input(deadLetterId)
    .query(({ ctx, input }) => inboxDetail(ctx.db, input.id, eventsStreamName({ prefix: env().SYNCLINE_PREFIX }))),

  /** Field issues of an edited event (empty: it can be sent), checked as the person types. */
  checkEdit: viewerProcedure
    .input(deadLetterId.extend({ event: z.unknown() }))
    .query(async ({ ctx, input }) => {
      const row = await ctx.db.deadLetter.findUnique({ where: { id: input.id }, select: { event: true } });
      return row ? editedEventIssues(ctx.db, row.event, input.event) : [{ path: "", message: "this dead letter no longer exists" }];
    }),

  redriveOne: editorProcedure.input(redriveOneSchema).mutation(async ({ ctx, input }) => {
    const result = await redriveOne(ctx.db, input);
    await recordAudit(ctx.db, ctx.actor, "deadLetter.redriven", { type: "deadLetter", id: input.id }, { version: input.version, edited: input.event !== undefined });
    return result;
  }),

  previewBulkRedrive: editorProcedure.input(bulkRedriveInputSchema).mutation(({ ctx, input }) => previewBulkRedrive(ctx.db, input)),

  startBulkRedrive: editorProcedure.input(bulkRedriveInputSchema).mutation(async ({ ctx, input }) => {
    const result = await startBulkRedrive(ctx.db, input, { by: ctx.actor.label });
    await recordAudit(ctx.db, ctx.actor, "deadLetter.redriven", { type: "deadLetter", id: "bulk" }, { bulk: true });
    return result;
  }),

  bulkProgress: viewerProcedure.input(progressInputSchema).query(({ ctx, input }) => bulkRedriveProgress(ctx.db, input.ids)),

  discardMany: editorProcedure.input(discardManyInputSchema).mutation(async ({ ctx, input }) => {
    const result = await discardMany(ctx.db, input.ids, { held: input.held, by: ctx.actor.label });
    await recordAudit(ctx.db, ctx.actor, "deadLetter.discarded", { type: "deadLetter", id: result.discarded.join(",") }, { held: input.held });
    return result;
  }),
});
