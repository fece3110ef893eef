import * as z from "zod";
import { cloudEventSchemaFor, webhookReceivedDataSchema } from "../../events/event-types";
import { expressionField, referenceField } from "../config-fields";
import { defineNode } from "../define-node";

function isJsonObjectText(text: string): boolean {
  if (text.trim() === "") return true;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

export const webhookTrigger = defineNode({
  kind: "trigger:webhook",
  version: 1,
  label: "Webhook",
  description: "Starts when a system calls this flow's webhook URL.",
  icon: "webhook",
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
        description: "The last part of the webhook URL, e.g. erp-prices. Unique across flows.",
        placeholder: "erp-prices",
        required: true,
        requiredMessage: "enter a path",
      }),
    authentication: z
      .enum(["hmac", "bearer"])
      .default("hmac")
      .meta({
        title: "Authentication",
        description:
          "hmac: callers send X-Syncline-Timestamp and X-Syncline-Signature: sha256=<HMAC-SHA256 of \"<timestamp>.<body>\">. bearer: callers send Authorization: Bearer <secret>.",
      }),
    // Required: a webhook anyone can call would let anyone start the flow.
    secretCredentialId: referenceField("credential", {
      title: "Secret",
      description: "A Webhook signing secret credential: the HMAC key, or the bearer token. Calls without it are refused (401).",
    }),
    bodySchema: z
      .string()
      .max(100_000)
      .refine(isJsonObjectText, "enter a JSON Schema object, e.g. {\"type\": \"object\"}, or leave it empty")
      .default("")
      .meta({
        title: "Body schema",
        description: "Optional JSON Schema the JSON body must match; a call that does not is answered 400 naming the field.",
        placeholder: '{"type": "object", "required": ["sku"]}',
        multiline: true,
      }),
    orderingKey: expressionField("", {
      title: "Ordering key",
      description: "JSONata over the call, e.g. event.data.body.sku: calls with the same key run one at a time, in order. Empty: the path (all calls in order).",
      placeholder: "event.data.body.sku",
    }),
    dedupId: expressionField("", {
      title: "Deduplication id",
      description: "JSONata over the call, e.g. event.data.headers.\"x-request-id\": a repeated id runs once. Empty: the Idempotency-Key header, else a hash of the body.",
      placeholder: "event.data.body.id",
    }),
  }),
  output: cloudEventSchemaFor("webhook.received", webhookReceivedDataSchema),
});
