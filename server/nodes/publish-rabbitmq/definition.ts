import * as z from "zod";
import { expressionField, referenceField } from "../config-fields";
import { defineNode } from "../define-node";
import { retryPolicyField } from "../retry-policy";

export const publishRabbitmqNode = defineNode({
  kind: "action:publish-rabbitmq",
  version: 1,
  label: "Publish to RabbitMQ",
  description: "Publishes a message to a RabbitMQ exchange, confirmed by the broker; its message_id is the step's idempotency key.",
  icon: "rabbit",
  category: "Integrations",
  config: z.object({
    credentialId: referenceField("credential", {
      title: "Connection",
      description: "A RabbitMQ (AMQP) credential: the AMQP URL with user and password.",
    }),
    exchange: z.string().trim().max(255, "An exchange name has at most 255 characters").default("").meta({
      title: "Exchange",
      description: "The exchange to publish to. Empty: the default exchange, where the routing key is the queue name.",
      placeholder: "erp.events",
    }),
    routingKey: expressionField("", {
      title: "Routing key",
      description: 'JSONata, e.g. "stock." & event.data.warehouse, or a quoted queue name for the default exchange.',
      placeholder: '"stock.changed"',
      required: true,
      requiredMessage: "enter a routing key expression",
    }),
    body: expressionField("event.data", {
      title: "Message",
      description: "JSONata for the JSON body of the message.",
      multiline: true,
    }),
    // A broker restart takes seconds to minutes; keep trying and hold the key's later events.
    retry: retryPolicyField({ attempts: 10, maxBackoffMs: 60_000 }),
  }),
  output: z.object({
    exchange: z.string(),
    routingKey: z.string(),
    messageId: z.string(),
  }),
});
