import * as z from "zod";
import { expressionField } from "../config-fields";
import { defineNode } from "../define-node";

export const DEFAULT_CASE_HANDLE = "default";

const switchCaseSchema = z.object({
  // The case id is the handle id edges attach to, so it stays stable when the label changes.
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_\-]*$/, "a case id is letters, digits, - and _")
    .max(50)
    .refine((id) => id !== DEFAULT_CASE_HANDLE, `"${DEFAULT_CASE_HANDLE}" is the branch for no match`)
    .meta({ title: "Id" }),
  label: z.string().max(100).default("").meta({ title: "Label", description: "Shown on the branch; the id when empty." }),
  equals: z
    .union([z.string(), z.number(), z.boolean(), z.null()])
    .meta({ title: "Equals", description: "The branch runs when the value equals this (text, number, true/false or null)." }),
});

export const switchNode = defineNode({
  kind: "logic:switch",
  version: 1,
  label: "Switch",
  description: "Picks one branch by comparing a value with a list of cases.",
  icon: "signpost",
  category: "Logic",
  config: z.object({
    value: expressionField("", {
      title: "Value",
      description: "A JSONata expression whose result is compared with each case, e.g. event.data.warehouse.",
      placeholder: "event.data.warehouse",
      required: true,
      requiredMessage: "write the value to compare",
    }),
    cases: z
      .array(switchCaseSchema)
      .max(50)
      .superRefine((cases, ctx) => {
        const seen = new Set<string>();
        cases.forEach((c, index) => {
          if (seen.has(c.id)) ctx.addIssue({ code: "custom", message: `case id "${c.id}" is used twice`, path: [index, "id"] });
          seen.add(c.id);
        });
      })
      .default([])
      .meta({ title: "Cases", description: "Checked in order; the first equal case wins, otherwise the default branch runs." }),
  }),
  output: z.object({
    matched: z.string().meta({ description: `The id of the case that matched, or "${DEFAULT_CASE_HANDLE}"` }),
    value: z.unknown().meta({ description: "The value that was compared" }),
  }),
  handles: (config) => [
    ...config.cases.map((c) => ({ id: c.id, label: c.label || c.id })),
    { id: DEFAULT_CASE_HANDLE, label: "default" },
  ],
});
