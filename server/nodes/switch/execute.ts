import "server-only";
import { evaluateExpression } from "../../expressions/evaluate-expression";
import { defineExecutor } from "../define-executor";
import { DEFAULT_CASE_HANDLE, switchNode } from "./definition";

// Strict equality: the value "1" does not match the case 1. Cases are typed in the form (text,
// number, true/false, null), so the author says which one they mean; loose matching would pick
// a branch nobody chose. An object or array value matches no case and takes the default branch.
export const switchExecutor = defineExecutor(switchNode, async ({ config, event, steps }) => {
  const evaluated = await evaluateExpression(config.value, { event, steps });
  // A missing value compares like null, as JSON (and the stored output) cannot tell them apart.
  const value = evaluated === undefined ? null : evaluated;
  const matched = config.cases.find((c) => c.equals === value)?.id ?? DEFAULT_CASE_HANDLE;
  return { output: { matched, value }, branch: matched };
});
