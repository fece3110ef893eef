import "server-only";
import * as z from "zod";
import { adminProcedure, createTRPCRouter, viewerProcedure } from "@/server/api/trpc";
import { recordAudit } from "@/server/audit/audit-log";
import { sourceKindSchema } from "@/server/sources/source-kinds";
import { createSource, deleteSource, getSource, listSources, updateSource } from "@/server/sources/source-store";

const name = z.string().trim().min(1, "Name the source").max(100, "At most 100 characters");
const settings = z.record(z.string(), z.unknown());
const mapping = z.object({
  type: z.string().max(2_000).optional(),
  orderingKey: z.string().max(2_000).optional(),
  id: z.string().max(2_000).optional(),
  data: z.string().max(2_000).optional(),
});
const credentialId = z.string().min(1).nullable().optional();

export const sourcesRouter = createTRPCRouter({
  /** Every source with its health (connected, lag, last message, last error). */
  list: viewerProcedure.query(({ ctx }) => listSources(ctx.db)),
  get: viewerProcedure.input(z.object({ id: z.string().min(1) })).query(({ ctx, input }) => getSource(ctx.db, input.id)),
  create: adminProcedure
    .input(z.object({ name, kind: sourceKindSchema, credentialId, settings: settings.optional(), mapping, enabled: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => {
      const created = await createSource(ctx.db, input);
      await recordAudit(ctx.db, ctx.actor, "source.created", { type: "source", id: created.id }, { name: input.name, kind: input.kind });
      return created;
    }),
  update: adminProcedure
    .input(z.object({ id: z.string().min(1), name: name.optional(), kind: sourceKindSchema.optional(), credentialId, settings: settings.optional(), mapping: mapping.optional(), enabled: z.boolean().optional() }))
    .mutation(async ({ ctx, input: { id, ...patch } }) => {
      const updated = await updateSource(ctx.db, id, patch);
      await recordAudit(ctx.db, ctx.actor, "source.updated", { type: "source", id }, { changed: Object.keys(patch).filter((k) => patch[k as keyof typeof patch] !== undefined) });
      return updated;
    }),
  delete: adminProcedure.input(z.object({ id: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    await deleteSource(ctx.db, input.id);
    await recordAudit(ctx.db, ctx.actor, "source.deleted", { type: "source", id: input.id });
    return { id: input.id };
  }),
});
