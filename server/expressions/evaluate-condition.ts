import { evaluateExpression, type ExpressionContext } from "./evaluate-expression";

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

/** A condition (condition node, trigger filter): the expression's value, as JSONata's `$boolean`. */
export async function evaluateCondition(expression: string, context: ExpressionContext): Promise<boolean> {
  return isTruthy(await evaluateExpression(expression, context));
}
