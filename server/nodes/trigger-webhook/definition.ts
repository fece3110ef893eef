import { z } from "zod";
import { cloudEventSchemaFor, webhookReceivedDataSchema } from "../../events/event-types";
import { referenceField, templateField } from "../config-fields";
import { defineNode } from "../define-node";

export const webhookTrigger = defineNode({
  kind: "trigger:webhook",
  version: 1,
  label: "Webhook",
  description: "Starts when a system calls this flow's webhook URL.",
  icon: "🪝",
  category: "Triggers",
  eventType: "webhook.received",
  config: z.object({
    path: z
      .string()
      .trim()
      .max(100)
      // "" passes so that defaults parse; validateFlow asks for a path (see config-fields.ts).
      .regex(/^$|^[a-z0-9]+(?:-[a-z0-9]+)*$/, "a path is lower-case letters, digits and dashes, e.g. erp-prices")
      .default("")
      .meta({
        title: "Path",
        description: "The last part of the webhook URL, e.g. erp-prices.",
        placeholder: "erp-prices",
        required: true,
        requiredMessage: "enter a path",
      }),
    secretCredentialId: referenceField("credential", {
      title: "Signing secret",
      description: "Optional: a credential holding the shared secret callers sign requests with. Unsigned calls are refused.",
      required: false,
    }),
    // Every event needs an ordering key; one fixed key processes webhook calls strictly in order.
    orderingKey: templateField("webhook", {
      title: "Ordering key",
      description: "Calls with the same key are processed one at a time, in order, e.g. {{ event.data.body.sku }}.",
      placeholder: "{{ event.data.body.sku }}",
    }),
  }),
  output: cloudEventSchemaFor("webhook.received", webhookReceivedDataSchema),
});
