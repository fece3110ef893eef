import * as z from "zod";
import { expressionField } from "../config-fields";
import { defineNode } from "../define-node";

// No retry policy: a transform calls no outside system, so a failure is the same on every try
// and goes to the dead-letter queue at once (docs/guarantees.md §4, permanent errors).
export const transformNode = defineNode({
  kind: "action:transform",
  version: 1,
  label: "Transform",
  description: "Computes new fields from the event and earlier steps, for the steps after it.",
  icon: "braces",
  category: "Data",
  config: z.object({
    fields: expressionField('{"sku": event.data.sku}', {
      title: "Fields",
      description: 'A JSONata object expression; its keys become steps.<this step>.<key>, e.g. {"title": $uppercase(event.data.name)}.',
      multiline: true,
    }),
  }),
  output: z.record(z.string(), z.unknown()),
});
