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
});
