import * as z from "zod";
import { expressionField, referenceField } from "../config-fields";
import { defineNode } from "../define-node";
import { retryPolicyField } from "../retry-policy";

export const publishEventGridNode = defineNode({
  kind: "action:publish-eventgrid",
  version: 1,
  label: "Publish to Event Grid",
  description: "Publishes an event to an Azure Event Grid topic (access key or SAS token); its id is the step's idempotency key.",
  icon: "network",
  category: "Integrations",
  config: z.object({
    credentialId: referenceField("credential", {
      title: "Topic",
      description: "An Azure Event Grid topic credential: the topic endpoint and its access key or a SAS token.",
    }),
    authentication: z.enum(["key", "sas"]).default("key").meta({
      title: "Authentication",
      description: "key: the credential holds a topic access key (aeg-sas-key). sas: it holds a SAS token (aeg-sas-token).",
    }),
    schema: z.enum(["CloudEvent", "EventGrid"]).default("CloudEvent").meta({
      title: "Schema",
      description: "The input schema of the topic: CloudEvents 1.0 or the Event Grid schema.",
    }),
    eventType: expressionField("event.type", { title: "Event type", description: "JSONata for the event type, e.g. event.type." }),
    subject: expressionField("event.subject", { title: "Subject", description: "JSONata for the subject, e.g. event.subject (the SKU)." }),
    data: expressionField("event.data", { title: "Data", description: "JSONata for the event's data.", multiline: true }),
    retry: retryPolicyField({ attempts: 10, maxBackoffMs: 60_000 }),
  }),
  output: z.object({ id: z.string() }),
});
