import "server-only";
import * as z from "zod";
import { adminProcedure, createTRPCRouter, viewerProcedure } from "@/server/api/trpc";
import { recordAudit } from "@/server/audit/audit-log";
import {
  channelHealth,
  createChannel,
  deleteChannel,
  getChannel,
  listChannels,
  updateChannel,
} from "@/server/channels/channel-store";
import { channelTypeSchema } from "@/server/channels/channel-types";
import { channelSettingsAddressWarnings } from "@/server/channels/channel-address-warnings";
import { configuredAllowlist } from "@/server/outbound/address-warnings";

const name = z.string().trim().min(1, "Name the channel").max(100, "At most 100 characters");
const settings = z.record(z.string(), z.unknown());
const credentialId = z.string().min(1).nullable().optional();

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
    .query(({ ctx, input }) => getChannel(ctx.db, input.id)),
  /** The settings' URLs that runs will refuse (private or loopback, not in SYNCLINE_HTTP_ALLOWLIST), as the dialog is filled in. */
  addressWarnings: adminProcedure
    .input(z.object({ type: channelTypeSchema, settings: z.record(z.string().max(100), z.string().max(2_000)) }))
    .query(({ input }) => channelSettingsAddressWarnings(input.type, input.settings, configuredAllowlist())),
  create: adminProcedure
    .input(z.object({ name, type: channelTypeSchema, credentialId, settings: settings.optional() }))
    .mutation(async ({ ctx, input }) => {
      const created = await createChannel(ctx.db, input);
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
      const updated = await updateChannel(ctx.db, id, patch);
      await recordAudit(ctx.db, ctx.actor, "channel.updated", { type: "channel", id }, { changed: Object.keys(patch).filter((k) => patch[k as keyof typeof patch] !== undefined) });
      return updated;
    }),
  delete: adminProcedure.input(z.object({ id: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    await deleteChannel(ctx.db, input.id);
    await recordAudit(ctx.db, ctx.actor, "channel.deleted", { type: "channel", id: input.id });
    return { id: input.id };
  }),
});
