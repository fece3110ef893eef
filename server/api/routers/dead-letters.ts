import "server-only";
import { z } from "zod";
import { createTRPCRouter, editorProcedure, viewerProcedure } from "@/server/api/trpc";
import { historyErrors } from "@/server/api/routers/runs";
import { recordAudit } from "@/server/audit/audit-log";
import { flowIdParam, subjectParam } from "@/server/runtime/run-history";
import {
  MAX_BULK_IDS,
  deadLetterListFilterSchema,
  discardDeadLetter,
  getDeadLetter,
  listDeadLetters,
  requestRedrive,
  requestRedriveMany,
} from "@/server/runtime/dead-letter-store";

const deadLetterId = z.object({ id: z.string().min(1).max(200) });

export const deadLettersRouter = createTRPCRouter({
  list: viewerProcedure.use(historyErrors).input(deadLetterListFilterSchema).query(({ ctx, input }) => listDeadLetters(ctx.db, input)),

  get: viewerProcedure.use(historyErrors).input(deadLetterId).query(({ ctx, input }) => getDeadLetter(ctx.db, input.id)),

  /** `event`: the edited CloudEvent to run instead (id, type and subject must stay). */
  redrive: editorProcedure
    .use(historyErrors)
    .input(deadLetterId.extend({ event: z.unknown().optional() }))
    .mutation(async ({ ctx, input }) => {
      const result = await requestRedrive(ctx.db, input.id, { event: input.event });
      await recordAudit(ctx.db, ctx.actor, "deadLetter.redriven", { type: "deadLetter", id: input.id }, { edited: input.event !== undefined });
      return result;
    }),

  redriveMany: editorProcedure
    .use(historyErrors)
    .input(
      z.union([
        z.object({ ids: z.array(z.string().min(1).max(200)).min(1).max(MAX_BULK_IDS) }),
        z.object({ flowId: flowIdParam.optional(), subject: subjectParam.optional() }),
      ]),
    )
    .mutation(async ({ ctx, input }) => {
      const result = await requestRedriveMany(ctx.db, input);
      await recordAudit(ctx.db, ctx.actor, "deadLetter.redriven", { type: "deadLetter", id: "ids" in input ? input.ids.join(",") : "*" }, { filter: "ids" in input ? null : input });
      return result;
    }),

  discard: editorProcedure
    .use(historyErrors)
    .input(deadLetterId)
    .mutation(async ({ ctx, input }) => {
      const result = await discardDeadLetter(ctx.db, input.id);
      await recordAudit(ctx.db, ctx.actor, "deadLetter.discarded", { type: "deadLetter", id: input.id });
      return result;
    }),
});
