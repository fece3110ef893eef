import "server-only";
import { z } from "zod";
import { createTRPCRouter, publicProcedure } from "@/server/api/trpc";
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
  list: publicProcedure.query(({ ctx }) => listCredentials(ctx.db)),
  create: publicProcedure
    .input(z.object({ name, type: credentialTypeSchema, secret, settings: settings.optional() }))
    .mutation(({ ctx, input }) =>
      createCredential(ctx.db, { ...input, settings: cleanSettings(input.settings) }),
    ),
  /** `secret` holds only the fields to replace; absent fields keep their value. */
  update: publicProcedure
    .input(z.object({ id: z.string().min(1), name: name.optional(), secret: secret.optional(), settings: settings.optional() }))
    .mutation(({ ctx, input: { id, ...patch } }) =>
      updateCredential(ctx.db, id, { ...patch, settings: cleanSettings(patch.settings) }),
    ),
  delete: publicProcedure.input(z.object({ id: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    await deleteCredential(ctx.db, input.id);
    return { id: input.id };
  }),
});
