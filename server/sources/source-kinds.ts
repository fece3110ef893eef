import { z } from "zod";
import type { CredentialType } from "@/server/credentials/credential-types";

// The kinds of source (a broker or bus events come in from), shared by the Settings → Sources form
// and the router and store. Imported by client components: keep it free of server-only code.

/** Pull sources are consumed by a worker process; push sources call /api/sources/{id}/… themselves. */
export type SourceMode = "pull" | "push";

export interface SourceSettingField {
  name: string;
  label: string;
  placeholder?: string;
  type?: "text" | "number";
  /** A choice instead of free text: shown as a select. */
  options?: { value: string; label: string }[];
}

const queueName = z
  .string({ error: "Queue is required" })
  .trim()
  .min(1, "Queue is required")
  .max(255, "A queue name has at most 255 characters");

export const sourceKinds = {
  rabbitmq: {
    label: "RabbitMQ queue",
    mode: "pull" as SourceMode,
    credentialType: "rabbitmq" as CredentialType,
    settings: z.object({
      queue: queueName,
      prefetch: z.coerce
        .number({ error: "Prefetch is a whole number" })
        .int("Prefetch is a whole number")
        .min(1, "Prefetch is at least 1")
        .max(1000, "Prefetch is at most 1,000")
        .default(50),
    }),
    fields: [
      { name: "queue", label: "Queue", placeholder: "erp.stock" },
      { name: "prefetch", label: "Prefetch (unacknowledged messages at once)", placeholder: "50", type: "number" },
    ] as SourceSettingField[],
    /** What the mapping expressions see. */
    messageShape: "event.data.body (JSON, else text), event.data.headers, event.data.routingKey, event.data.exchange, event.data.messageId",
  },
  eventbridge: {
    label: "AWS EventBridge (API destination)",
    mode: "push" as SourceMode,
    // EventBridge's connection sends an API-key header or basic auth: both are one header and its value.
    credentialType: "http" as CredentialType,
    settings: z.object({}),
    fields: [] as SourceSettingField[],
    messageShape: 'event.data.body is the EventBridge event: event.data.body."detail-type", .source, .detail, .id, .time; empty id: the event\'s id, empty data: its detail',
  },
  eventgrid: {
    label: "Azure Event Grid (webhook)",
    mode: "push" as SourceMode,
    // The subscription's endpoint URL carries the secret as ?secret=…, or a delivery header does.
    credentialType: "http" as CredentialType,
    // Event Grid's SubscriptionValidation handshake (README "Sources"): answer the validation code
    // (synchronous), or have Syncline call Azure's validationUrl (manual) — for when the answer
    // cannot reach Azure as sent, e.g. a gateway in front of Syncline rewrites webhook answers.
    settings: z.object({
      handshake: z.preprocess((v) => (v === "" || v === null ? undefined : v), z.enum(["code", "url"], { error: "Choose how the validation handshake is completed" }).default("code")),
    }),
    fields: [
      {
        name: "handshake", label: "Validation handshake",
        options: [
          { value: "code", label: "Answer the validation code (synchronous)" },
          { value: "url", label: "Call Azure's validationUrl (manual)" },
        ],
      },
    ] as SourceSettingField[],
    messageShape: "event.data.body is one Event Grid event (eventType, subject, data, id) or CloudEvent (type, subject, data, id); empty id: its id, empty data: its data",
  },
} as const;

export type SourceKind = keyof typeof sourceKinds;
export const sourceKindIds = Object.keys(sourceKinds) as SourceKind[];
export const sourceKindSchema = z.enum(sourceKindIds as [SourceKind, ...SourceKind[]], { error: "Choose a kind of source" });

export function isSourceKind(value: string): value is SourceKind {
  return Object.hasOwn(sourceKinds, value);
}

const expression = (label: string) => z.string().trim().max(2_000, `The ${label} expression has at most 2,000 characters`);

/**
 * How a message becomes a CloudEvent: JSONata over `message` (body, headers and the broker's
 * fields). `type` and `orderingKey` are required; an empty `id` uses the broker's message id
 * (else a hash of the body); an empty `data` uses the body.
 */
export const sourceMappingSchema = z.object({
  type: expression("event type").min(1, "Enter the event type, e.g. \"stock.changed\" (quoted) or message.headers.type"),
  orderingKey: expression("ordering key").min(1, "Enter the ordering key, e.g. message.body.sku"),
  id: expression("event id").default(""),
  data: expression("data").default(""),
});
export type SourceMapping = z.output<typeof sourceMappingSchema>;
