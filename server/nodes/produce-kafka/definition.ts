import * as z from "zod";
import { BROKER_LIST_MESSAGE, BROKER_LIST_PATTERN } from "../../connectors/kafka/broker-list";
import { expressionField, referenceField } from "../config-fields";
import { defineNode } from "../define-node";
import { retryPolicyField } from "../retry-policy";

export const produceKafkaNode = defineNode({
  kind: "action:produce-kafka",
  version: 1,
  label: "Produce to Kafka",
  description: "Produces a message to a Kafka topic with an idempotent producer; the key from an expression picks the partition.",
  icon: "waypoints",
  category: "Integrations",
  config: z.object({
    brokers: z
      .string()
      .trim()
      .max(2_000, "The broker list has at most 2,000 characters")
      // Empty is allowed here: the form asks for it as a required field (requiredMessage).
      .refine((brokers) => brokers === "" || BROKER_LIST_PATTERN.test(brokers), BROKER_LIST_MESSAGE)
      .default("")
      .meta({
        title: "Brokers",
        description: "Bootstrap brokers as host:port, separated by commas.",
        placeholder: "kafka-1.example.com:9092",
        required: true,
        requiredMessage: "enter the brokers",
      }),
    credentialId: referenceField("credential", {
      title: "Credential (optional)",
      description: "A Kafka credential for SASL over TLS. None: a plaintext connection without sign-in.",
      required: false,
    }),
    topic: z
      .string()
      .trim()
      .max(249, "A topic name has at most 249 characters")
      .regex(/^[A-Za-z0-9._-]*$/, "A topic name has only letters, digits, dots, underscores and hyphens")
      .default("")
      .meta({ title: "Topic", description: "The topic to produce to; it must exist (Syncline does not create topics).", placeholder: "syncline.stock", required: true, requiredMessage: "enter a topic" }),
    key: expressionField("event.subject", {
      title: "Key",
      description: "JSONata for the message key; Kafka keeps one key's messages in one partition, in order.",
      placeholder: "event.data.sku",
      required: true,
      requiredMessage: "enter a key expression",
    }),
    value: expressionField("event.data", {
      title: "Message",
      description: "JSONata for the JSON value of the message.",
      multiline: true,
    }),
    // A broker restart or leader election takes seconds to minutes; keep trying and hold the key's later events.
    retry: retryPolicyField({ attempts: 10, maxBackoffMs: 60_000 }),
  }),
  output: z.object({
    topic: z.string(),
    key: z.string(),
    partition: z.number(),
    offset: z.string(),
  }),
});
