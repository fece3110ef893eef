import "server-only";
import { evaluateExpression, type ExpressionContext } from "../../expressions/evaluate-expression";
import { defineExecutor, type ExecutionContext, type ExecutionResult } from "../define-executor";
import { conditionNode } from "./definition";

/**
 * Truthiness as JSONata's `$boolean` defines it, so a condition means the same in the worker as
 * when the author tries it in the expression editor: empty strings, 0, null, missing values,
 * empty arrays and objects are false; an array is true when any member is.
 */
export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "string") return value.length > 0;
  if (Array.isArray(value)) return value.some(isTruthy);
  if (typeof value === "object") return Object.keys(value).length > 0;
  return false;
}

export async function evaluateCondition(expression: string, context: ExpressionContext): Promise<boolean> {
  return isTruthy(await evaluateExpression(expression, context));
}

/**
 * What every event trigger does: hand the event to the steps after it, or stop the run
 * (`branch: null`, the run counts as skipped) when its filter is false. A filter is a condition
 * on the event, hence it lives here. An empty filter lets every event through.
 */
export async function passEventThroughFilter<Output>(context: ExecutionContext<{ filter: string }>): Promise<ExecutionResult<Output>> {
  const { config, event, steps } = context;
  const output = event as Output;
  if (config.filter.trim() === "") return { output };
  return (await evaluateCondition(config.filter, { event, steps })) ? { output } : { output, branch: null };
}

export const conditionExecutor = defineExecutor(conditionNode, async ({ config, event, steps }) => {
  const result = await evaluateCondition(config.expression, { event, steps });
  return { output: { result }, branch: result ? "true" : "false" };
});
