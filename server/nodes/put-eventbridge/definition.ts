import * as z from "zod";
import { expressionField, referenceField } from "../config-fields";
import { defineNode } from "../define-node";
import { retryPolicyField } from "../retry-policy";

export const putEventBridgeNode = defineNode({
  kind: "action:put-eventbridge",
  version: 1,
  label: "Put event on EventBridge",
  description: "Puts an event on an AWS EventBridge bus (PutEvents, signed with an AWS access key).",
  icon: "cloud-upload",
  category: "Integrations",
  config: z.object({
    credentialId: referenceField("credential", {
      title: "AWS access key",
      description: "An AWS access key credential with events:PutEvents on the bus; its region (and endpoint) are used.",
    }),
    eventBusName: z.string().trim().min(1, "enter the bus name or ARN, e.g. default").max(1600).default("default").meta({
      title: "Event bus",
      description: "The bus name or ARN; default is the account's default bus.",
    }),
    source: z.string().trim().min(1, "enter the event source, e.g. com.acme.syncline").max(256).default("syncline").meta({
      title: "Source",
      description: "The EventBridge source rules match on, e.g. com.acme.syncline.",
    }),
    detailType: expressionField("event.type", {
      title: "Detail type",
      description: "JSONata for detail-type, e.g. event.type or \"Stock Changed\".",
    }),
    detail: expressionField("event.data", {
      title: "Detail",
      description: "JSONata for the JSON detail.",
      multiline: true,
    }),
    retry: retryPolicyField({ attempts: 10, maxBackoffMs: 60_000 }),
  }),
  output: z.object({ eventId: z.string() }),
});
