import "server-only";
import * as z from "zod";
import { adminProcedure, createTRPCRouter, viewerProcedure } from "@/server/api/trpc";
import { recordAudit } from "@/server/audit/audit-log";
import {
  createCredential,
  deleteCredential,
  listCredentials,
  updateCredential,
} from "@/server/credentials/credential-store";
import { credentialTypeSchema } from "@/server/credentials/credential-types";

// Secrets go in, never out: every procedure returns summaries (which fields are set), not values.

const name = z.string().trim().min(1, "Name the credential").max(100, "At most 100 characters");
const secret = z.record(z.string(), z.string().max(10_000, "At most 10000 characters"));
const settings = z.record(z.string(), z.string().max(2000, "At most 2000 characters"));

function cleanSettings(input: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!input) return undefined;
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v !== ""));
}

export const credentialsRouter = createTRPCRouter({
  list: viewerProcedure.query(({ ctx }) => listCredentials(ctx.db)),
  create: adminProcedure
    .input(z.object({ name, type: credentialTypeSchema, secret, settings: settings.optional() }))
    .mutation(async ({ ctx, input }) => {
      const created = await createCredential(ctx.db, { ...input, settings: cleanSettings(input.settings) });
      await recordAudit(ctx.db, ctx.actor, "credential.created", { type: "credential", id: created.id }, { name: input.name, type: input.type });
      return created;
    }),
  /** `secret` holds only the fields to replace; absent fields keep their value. */
  update: adminProcedure
    .input(z.object({ id: z.string().min(1), name: name.optional(), secret: secret.optional(), settings: settings.optional() }))
    .mutation(async ({ ctx, input: { id, ...patch } }) => {
      const updated = await updateCredential(ctx.db, id, { ...patch, settings: cleanSettings(patch.settings) });
      await recordAudit(ctx.db, ctx.actor, "credential.updated", { type: "credential", id }, {
        changed: [...(patch.name ? ["name"] : []), ...Object.keys(patch.settings ?? {}).map((k) => `settings.${k}`), ...Object.keys(patch.secret ?? {}).map((k) => `secret.${k}`)],
      });
      return updated;
    }),
  delete: adminProcedure.input(z.object({ id: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    await deleteCredential(ctx.db, input.id);
    await recordAudit(ctx.db, ctx.actor, "credential.deleted", { type: "credential", id: input.id });
    return { id: input.id };
  }),
});
