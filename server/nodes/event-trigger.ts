import { z } from "zod";
import { builtInEventTypes, cloudEventSchemaFor, type BuiltInEventTypeName } from "../events/event-types";
import { expressionField } from "./config-fields";
import { defineNode } from "./define-node";

// The six built-in event triggers differ only in their event type, so they share this shape.
// Each still has its own folder, where its executor will sit beside its definition.

export const triggerFilterField = expressionField("", {
  title: "Filter",
  description: "Only start the flow when this JSONata expression is true, e.g. event.data.quantity <= 0. Empty: every event.",
  placeholder: "event.data.quantity <= 0",
});

export function defineEventTrigger<Type extends BuiltInEventTypeName>(eventType: Type, text: { label: string; description: string; icon: string }) {
  return defineNode({
    kind: `trigger:${eventType}`,
    version: 1,
    ...text,
    category: "Triggers",
    eventType,
    config: z.object({ filter: triggerFilterField }),
    output: cloudEventSchemaFor(eventType, builtInEventTypes[eventType].data as (typeof builtInEventTypes)[Type]["data"]),
  });
}
