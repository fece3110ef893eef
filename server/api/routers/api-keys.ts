import "server-only";
import * as z from "zod";
import { adminProcedure, createTRPCRouter } from "@/server/api/trpc";
import { recordAudit } from "@/server/audit/audit-log";
import { apiKeyScopeSchema, createApiKey, listApiKeys, revokeApiKey } from "@/server/auth/api-keys";
import { TRPCError } from "@trpc/server";

export const apiKeysRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listApiKeys(ctx.db)),
  /** The returned `key` is shown once; only its hash is kept. */
  create: adminProcedure
    .input(z.object({ name: z.string().trim().min(1, "Name the key after what uses it").max(100), scope: apiKeyScopeSchema }))
    .mutation(async ({ ctx, input }) => {
      const created = await createApiKey(ctx.db, input.name, input.scope);
      await recordAudit(ctx.db, ctx.actor, "apiKey.created", { type: "apiKey", id: created.id }, { name: input.name, scope: input.scope });
      return created;
    }),
  revoke: adminProcedure.input(z.object({ id: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    if (!(await revokeApiKey(ctx.db, input.id))) throw new TRPCError({ code: "NOT_FOUND", message: "No such API key" });
    await recordAudit(ctx.db, ctx.actor, "apiKey.revoked", { type: "apiKey", id: input.id });
  }),
});
