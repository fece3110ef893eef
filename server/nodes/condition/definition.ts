import * as z from "zod";
import { expressionField } from "../config-fields";
import { defineNode } from "../define-node";

export const conditionNode = defineNode({
  kind: "logic:condition",
  version: 1,
  label: "Condition",
  description: "Continues on the true or the false branch, depending on an expression.",
  icon: "split",
  category: "Logic",
  config: z.object({
    expression: expressionField("", {
      title: "Condition",
      description: "A JSONata expression; the true branch runs when it is truthy, e.g. event.data.quantity <= 0.",
      placeholder: "event.data.quantity <= 0",
      required: true,
      requiredMessage: "write a condition",
    }),
  }),
  output: z.object({ result: z.boolean().meta({ description: "Which branch was taken" }) }),
  handles: () => [
    { id: "true", label: "true" },
    { id: "false", label: "false" },
  ],
});
