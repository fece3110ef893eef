import * as z from "zod";
import { cloudEventSchema, eventTypeNameSchema, isBuiltInEventType } from "../../events/event-types";
import { referenceField } from "../config-fields";
import { defineNode } from "../define-node";
import { triggerFilterField } from "../trigger-filter-field";

// Custom event types are registered in the UI with their own data schema; this trigger names one.
// `eventType: "*"` tells the editor and the runtime to read the actual type from the config.
export const customEventTrigger = defineNode({
  kind: "trigger:custom-event",
  version: 1,
  label: "Custom event",
  description: "Starts on an event type you registered yourself, e.g. return.requested.",
  icon: "sparkles",
  category: "Triggers",
  eventType: "*",
  config: z.object({
    eventType: referenceField(
      "event-type",
      {
        title: "Event type",
        description: "The registered custom event type this flow listens to.",
        placeholder: "return.requested",
      },
      z
        .string()
        .trim()
        // "" passes: an unchosen type is reported by validateFlow, not by the schema (see config-fields.ts).
        .refine((type) => type === "" || eventTypeNameSchema.safeParse(type).success, "an event type looks like return.requested")
        .refine((type) => !isBuiltInEventType(type), "this is a built-in event type: use its own trigger"),
    ),
    filter: triggerFilterField,
  }),
  output: cloudEventSchema,
});
