import "server-only";
import { z } from "zod";
import { createTRPCRouter, publicProcedure } from "@/server/api/trpc";
import {
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

export const channelsRouter = createTRPCRouter({
  /** Every channel with its health. */
  list: publicProcedure.query(async ({ ctx }) => {
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
  get: publicProcedure
    .input(z.object({ id: z.string().min(1) }))
    .query(({ ctx, input }) => getChannel(ctx.db, input.id)),
  create: publicProcedure
    .input(z.object({ name, type: channelTypeSchema, credentialId, settings: settings.optional() }))
    .mutation(({ ctx, input }) => createChannel(ctx.db, input)),
  update: publicProcedure
    .input(
      z.object({
        id: z.string().min(1),
        name: name.optional(),
        type: channelTypeSchema.optional(),
        credentialId,
        settings: settings.optional(),
      }),
    )
    .mutation(({ ctx, input: { id, ...patch } }) => updateChannel(ctx.db, id, patch)),
  delete: publicProcedure.input(z.object({ id: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    await deleteChannel(ctx.db, input.id);
    return { id: input.id };
  }),
});
