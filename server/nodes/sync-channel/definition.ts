import * as z from "zod";
import { referenceField } from "../config-fields";
import { defineNode } from "../define-node";
import { retryPolicyField } from "../retry-policy";

export const syncOperations = ["upsert-product", "update-price", "update-stock", "mark-out-of-stock"] as const;

export const syncChannelNode = defineNode({
  kind: "action:sync-channel",
  version: 1,
  label: "Sync to channel",
  description: "Sends a product, price or stock change to a sales channel (webshop, marketplace).",
  icon: "store",
  category: "Channels",
  config: z.object({
    channelId: referenceField("channel", {
      title: "Channel",
      description: "The sales channel to update.",
    }),
    operation: z.enum(syncOperations).default("upsert-product").meta({
      title: "Operation",
      description: "What to change on the channel.",
    }),
    mapping: z
      .record(
        z.string().min(1).max(200),
        // Not expressionField: an entry with an empty expression is a mistake, never "use the default".
        z.string().min(1, "write an expression").max(10_000).meta({ title: "Value", description: "A JSONata expression for this channel field.", expression: true }),
      )
      .default({})
      .meta({
        title: "Field mapping",
        description: "Channel field → JSONata expression, e.g. price → event.data.price. Empty: the channel's standard mapping for the operation.",
      }),
    // Channels go down for maintenance; waiting patiently keeps updates in order without dead letters.
    retry: retryPolicyField({ attempts: 10, maxBackoffMs: 300_000 }),
  }),
  output: z.object({
    channelId: z.string(),
    operation: z.enum(syncOperations),
    status: z.enum(["applied", "unchanged"]).meta({ description: "unchanged: the channel already had this data" }),
    externalId: z.string().optional().meta({ description: "The product's id on the channel, when it reports one" }),
  }),
});
