import "server-only";
import { z, type ZodError } from "zod";
import { TRPCError } from "@trpc/server";
import { adminProcedure, createTRPCRouter, viewerProcedure } from "@/server/api/trpc";
import { recordAudit } from "@/server/audit/audit-log";
import {
  ChannelNotFoundError,
  ChannelValidationError,
  channelHealth,
  createChannel,
  deleteChannel,
  getChannel,
  listChannels,
  updateChannel,
} from "@/server/channels/channel-store";
import { channelTypeSchema } from "@/server/channels/channel-types";

const name = z.string().trim().min(1, "Name the channel").max(100, "At most 100 characters");
const settings = z.record(z.string(), z.unknown());
const credentialId = z.string().min(1).nullable().optional();

/** Store errors as tRPC errors; validation errors carry field-level messages (`settings.<field>`, `credentialId`). */
function toTRPCError(error: unknown): never {
  if (error instanceof ChannelNotFoundError) throw new TRPCError({ code: "NOT_FOUND", message: error.message, cause: error });
  if (error instanceof ChannelValidationError) {
    const issues = Object.entries(error.fieldErrors).flatMap(([field, messages]) =>
      messages.map((message) => ({
        path: [field === "type" || field === "credentialId" || field.startsWith("credentialSecret.") ? field : `settings.${field}`],
        message,
      })),
    );
    throw new TRPCError({ code: "BAD_REQUEST", message: error.message, cause: fieldError(issues) });
  }
  throw error;
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

export const channelsRouter = createTRPCRouter({
  /** Every channel with its health. */
  list: viewerProcedure.query(async ({ ctx }) => {
    const [channels, health] = await Promise.all([listChannels(ctx.db), channelHealth(ctx.db)]);
    return channels.map((channel) => ({
      ...channel,
      health: health[channel.id] ?? {
        channelId: channel.id,
        status: "unknown" as const,
        lastSuccessAt: null,
        lastError: null,
        lastErrorAt: null,
        downSince: null,
        holding: false,
        heldEvents: 0,
      },
    }));
  }),
  get: viewerProcedure
    .input(z.object({ id: z.string().min(1) }))
    .query(({ ctx, input }) => getChannel(ctx.db, input.id).catch(toTRPCError)),
  create: adminProcedure
    .input(z.object({ name, type: channelTypeSchema, credentialId, settings: settings.optional() }))
    .mutation(async ({ ctx, input }) => {
      const created = await createChannel(ctx.db, input).catch(toTRPCError);
      await recordAudit(ctx.db, ctx.actor, "channel.created", { type: "channel", id: created.id }, { name: input.name, type: input.type });
      return created;
    }),
  update: adminProcedure
    .input(
      z.object({
        id: z.string().min(1),
        name: name.optional(),
        type: channelTypeSchema.optional(),
        credentialId,
        settings: settings.optional(),
        /** The credential's secret entered again; required when a host-bearing setting changes. */
        credentialSecret: z.record(z.string(), z.string().max(10_000)).optional(),
      }),
    )
    .mutation(async ({ ctx, input: { id, ...patch } }) => {
      const updated = await updateChannel(ctx.db, id, patch).catch(toTRPCError);
      await recordAudit(ctx.db, ctx.actor, "channel.updated", { type: "channel", id }, { changed: Object.keys(patch).filter((k) => patch[k as keyof typeof patch] !== undefined) });
      return updated;
    }),
  delete: adminProcedure.input(z.object({ id: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    await deleteChannel(ctx.db, input.id).catch(toTRPCError);
    await recordAudit(ctx.db, ctx.actor, "channel.deleted", { type: "channel", id: input.id });
    return { id: input.id };
  }),
});
