import type { z } from "zod";
import { eventDataFieldPaths } from "../events/event-types";
import { fieldPathsOf, jsonataPathSegment } from "../events/field-paths";

// Completion items for expression fields in the editor: what `event` holds for the flow's trigger
// and which earlier steps can be referenced.

export interface ExpressionSuggestion {
  /** What gets inserted, a valid JSONata path. */
  label: string;
  /** Type and help text shown next to it. */
  detail: string;
}

/** A step the expression may reference; pass the node's output schema to suggest its fields too. */
export type SuggestedStep = string | { id: string; output?: z.ZodType };

const ENVELOPE: ExpressionSuggestion[] = [
  { label: "event.id", detail: "string · the event's unique id (deduplication key)" },
  { label: "event.subject", detail: "string · the ordering key, e.g. the SKU" },
  { label: "event.type", detail: "string · the event type, e.g. stock.changed" },
  { label: "event.source", detail: "string · who sent the event" },
  { label: "event.time", detail: "string · when it happened (ISO 8601), if the sender said" },
  { label: "event.data", detail: "object · the event's payload" },
];

export function expressionSuggestions(eventType: string | undefined, steps: readonly SuggestedStep[]): ExpressionSuggestion[] {
  const suggestions = [...ENVELOPE];
  if (eventType) {
    for (const field of eventDataFieldPaths(eventType)) {
      suggestions.push({ label: field.path, detail: detailOf(field.type, field.description, field.required) });
    }
  }
  for (const step of steps) {
    const id = typeof step === "string" ? step : step.id;
    const base = `steps.${jsonataPathSegment(id)}`;
    suggestions.push({ label: base, detail: `output of step ${id}` });
    if (typeof step !== "string" && step.output) {
      for (const field of fieldPathsOf(step.output, base)) {
        suggestions.push({ label: field.path, detail: detailOf(field.type, field.description, field.required) });
      }
    }
  }
  return suggestions;
}

function detailOf(type: string, description: string | undefined, required: boolean): string {
  const kind = required ? type : `${type}, optional`;
  return description ? `${kind} · ${description}` : kind;
}
