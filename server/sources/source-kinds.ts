import * as z from "zod";
import { BROKER_LIST_MESSAGE, BROKER_LIST_PATTERN } from "@/server/connectors/kafka/broker-list";
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
  kafka: {
    label: "Kafka topic (consumer group)",
    mode: "pull" as SourceMode,
    // Optional: without one the connection is plaintext; with one, SASL over TLS.
    credentialType: "kafka" as CredentialType,
    credentialOptional: true,
    settings: z.object({
      brokers: z
        .string({ error: "Brokers are required" })
        .trim()
        .min(1, "Enter at least one broker as host:port")
        .max(2_000, "The broker list has at most 2,000 characters")
        .regex(BROKER_LIST_PATTERN, BROKER_LIST_MESSAGE),
      topic: z
        .string({ error: "Topic is required" })
        .trim()
        .min(1, "Topic is required")
        .max(249, "A topic name has at most 249 characters")
        .regex(/^[A-Za-z0-9._-]+$/, "A topic name has only letters, digits, dots, underscores and hyphens"),
      groupId: z
        .string({ error: "Group id is required" })
        .trim()
        .min(1, "Group id is required")
        .max(255, "A group id has at most 255 characters"),
    }),
    fields: [
      { name: "brokers", label: "Brokers (host:port, comma-separated)", placeholder: "kafka-1.example.com:9092" },
      { name: "topic", label: "Topic", placeholder: "erp.stock" },
      { name: "groupId", label: "Consumer group id", placeholder: "syncline" },
    ] as SourceSettingField[],
    /** Kafka orders per partition, and a key stays in one partition: the key is the natural ordering key. */
    defaultOrderingKey: "event.data.key",
    messageShape: "event.data.body (JSON, else text), event.data.headers, event.data.key, event.data.topic, event.data.partition, event.data.offset; empty ordering key: the Kafka key; empty id: topic/partition/offset",
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

interface KindExtras {
  defaultOrderingKey?: string;
  credentialOptional?: boolean;
}

/** The ordering key expression an empty mapping.orderingKey stands for, if the kind has one. */
export const defaultOrderingKeyOf = (kind: SourceKind): string | undefined => (sourceKinds[kind] as KindExtras).defaultOrderingKey;
/** Whether a source of this kind may go without a credential. */
export const isCredentialOptional = (kind: SourceKind): boolean => (sourceKinds[kind] as KindExtras).credentialOptional === true;

const expression = (label: string) => z.string().trim().max(2_000, `The ${label} expression has at most 2,000 characters`);

/**
 * How a message becomes a CloudEvent: JSONata over `message` (body, headers and the broker's
 * fields). `type` and `orderingKey` are required (an empty `orderingKey` takes the kind's
 * `defaultOrderingKey` where it has one); an empty `id` uses the broker's message id
 * (else a hash of the body); an empty `data` uses the body.
 */
export const sourceMappingSchema = z.object({
  type: expression("event type").min(1, "Enter the event type, e.g. \"stock.changed\" (quoted) or message.headers.type"),
  // Required unless the kind has a default (Kafka: the message key); source-store checks it.
  orderingKey: expression("ordering key").default(""),
  id: expression("event id").default(""),
  data: expression("data").default(""),
});
export type SourceMapping = z.output<typeof sourceMappingSchema>;
