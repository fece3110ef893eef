import "server-only";
import { z } from "zod";
import { createTRPCRouter, publicProcedure } from "@/server/api/trpc";
import { createApiKey, listApiKeys, revokeApiKey } from "@/server/auth/api-keys";
import { TRPCError } from "@trpc/server";

export const apiKeysRouter = createTRPCRouter({
  list: publicProcedure.query(({ ctx }) => listApiKeys(ctx.db)),
  /** The returned `key` is shown once; only its hash is kept. */
  create: publicProcedure
    .input(z.object({ name: z.string().trim().min(1, "Name the key after what uses it").max(100) }))
    .mutation(({ ctx, input }) => createApiKey(ctx.db, input.name)),
  revoke: publicProcedure.input(z.object({ id: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    if (!(await revokeApiKey(ctx.db, input.id))) throw new TRPCError({ code: "NOT_FOUND", message: "No such API key" });
  }),
});
