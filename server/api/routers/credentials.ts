import "server-only";
import { z, type ZodError } from "zod";
import { TRPCError } from "@trpc/server";
import { adminProcedure, createTRPCRouter, viewerProcedure } from "@/server/api/trpc";
import { recordAudit } from "@/server/audit/audit-log";
import {
  CredentialNotFoundError,
  CredentialValidationError,
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

/** Store errors as tRPC errors; validation errors carry field-level messages (`secret.<field>`). */
export function toTRPCError(error: unknown, prefix: string): never {
  if (error instanceof CredentialNotFoundError) throw new TRPCError({ code: "NOT_FOUND", message: error.message, cause: error });
  if (error instanceof CredentialValidationError) {
    const issues = Object.entries(error.fieldErrors).flatMap(([field, messages]) =>
      messages.map((message) => ({
        path: [field === "type" ? field : `${prefix}.${field}`],
        message,
      })),
    );
    throw new TRPCError({ code: "BAD_REQUEST", message: error.message, cause: fieldError(issues) });
  }
  throw error;
}

function cleanSettings(input: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!input) return undefined;
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v !== ""));
}

/**
 * A ZodError carrying these issues, made by a failing parse: `new ZodError()` in zod 4 is not an
 * `Error`, so tRPC would not keep it as the cause the error formatter reads.
 */
function fieldError(issues: { path: string[]; message: string }[]): ZodError {
  const result = z
    .any()
    .superRefine((_, ctx) => {
      for (const issue of issues) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
    })
    .safeParse(null);
  return result.error!;
}

export const credentialsRouter = createTRPCRouter({
  list: viewerProcedure.query(({ ctx }) => listCredentials(ctx.db)),
  create: adminProcedure
    .input(z.object({ name, type: credentialTypeSchema, secret, settings: settings.optional() }))
    .mutation(async ({ ctx, input }) => {
      const created = await createCredential(ctx.db, { ...input, settings: cleanSettings(input.settings) }).catch((e) => toTRPCError(e, "secret"));
      await recordAudit(ctx.db, ctx.actor, "credential.created", { type: "credential", id: created.id }, { name: input.name, type: input.type });
      return created;
    }),
  /** `secret` holds only the fields to replace; absent fields keep their value. */
  update: adminProcedure
    .input(z.object({ id: z.string().min(1), name: name.optional(), secret: secret.optional(), settings: settings.optional() }))
    .mutation(async ({ ctx, input: { id, ...patch } }) => {
      const updated = await updateCredential(ctx.db, id, { ...patch, settings: cleanSettings(patch.settings) }).catch((e) => toTRPCError(e, "secret"));
      await recordAudit(ctx.db, ctx.actor, "credential.updated", { type: "credential", id }, {
        changed: [...(patch.name ? ["name"] : []), ...Object.keys(patch.settings ?? {}).map((k) => `settings.${k}`), ...Object.keys(patch.secret ?? {}).map((k) => `secret.${k}`)],
      });
      return updated;
    }),
  delete: adminProcedure.input(z.object({ id: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    await deleteCredential(ctx.db, input.id).catch((e) => toTRPCError(e, "secret"));
    await recordAudit(ctx.db, ctx.actor, "credential.deleted", { type: "credential", id: input.id });
    return { id: input.id };
  }),
});
