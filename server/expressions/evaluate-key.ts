import { InvalidInputError } from "@/server/domain-errors";
import { evaluateExpression } from "./evaluate-expression";
import { ExpressionError } from "./expression-syntax";

// A key of an incoming event (its ordering key, deduplication id or type) taken from the call or
// message with a JSONata expression. Shared by webhook triggers and sources, so both turn
// "the expression gave nothing" into the same answer.

/** The expression failed on, or gave no value for, this call or message. `issues[0].path` is the config field. */
export class KeyExpressionError extends InvalidInputError {
  constructor(message: string, field: string, reason: string) {
    super(message, [{ path: field, message: reason }]);
    this.name = "KeyExpressionError";
  }
}

/** A JSONata result as a key or id: a non-empty string or a finite number. */
export function asKey(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "string" && value.trim() !== "") return value.trim();
  return undefined;
}

/**
 * Evaluates `expression` over `event` (what the expression sees as `event`) and returns the key.
 * `owner` names what holds the expression in messages ("webhook", "source").
 */
export async function evaluateKey(owner: string, label: string, field: string, expression: string, event: unknown): Promise<string> {
  let value: unknown;
  try {
    value = await evaluateExpression(expression, { event, steps: {} });
  } catch (error) {
    const reason = error instanceof ExpressionError ? error.reason : String(error);
    throw new KeyExpressionError(`The ${owner}'s ${label} expression failed on this call: ${reason}`, field, reason);
  }
  const key = asKey(value);
  if (!key) throw new KeyExpressionError(`The ${owner}'s ${label} expression gave no value for this call.`, field, `${label} is empty for this call`);
  return key;
}
