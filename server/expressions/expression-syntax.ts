import jsonata from "jsonata";

// Checking an expression's syntax, in the editor's browser bundle and on the server alike. What
// evaluates expressions (evaluate-expression.ts, the sandbox) is server-only and not imported here.

export interface ExpressionSyntaxProblem {
  message: string;
  /** Character offset in the expression where JSONata noticed the problem (0 when unknown). */
  position: number;
}

export class ExpressionError extends Error {
  constructor(
    /** JSONata's description without the position, for showing next to the field. */
    readonly reason: string,
    readonly position: number,
    /** JSONata's error code (S0xxx syntax, T0xxx type, D0xxx evaluation), when it gave one. */
    readonly code: string | undefined,
    readonly expression: string,
  ) {
    super(position > 0 ? `${reason} (at position ${position})` : reason);
    this.name = "ExpressionError";
  }
}

const MAX_EXPRESSION_LENGTH = 10_000;

// The editor checks the same few expressions on every keystroke: parsing once per text saves a
// parse. Bounded, oldest first out, so a flood of distinct expressions cannot grow it.
const CACHE_LIMIT = 1_000;
const parsed = new Map<string, jsonata.Expression>();

interface JsonataErrorLike {
  code?: string;
  position?: number;
  message?: string;
  token?: string;
}

function toExpressionError(error: unknown, expression: string): ExpressionError {
  if (error instanceof ExpressionError) return error;
  const e = (typeof error === "object" && error !== null ? error : {}) as JsonataErrorLike;
  const reason = typeof e.message === "string" && e.message.length > 0 ? e.message : String(error);
  return new ExpressionError(reason, typeof e.position === "number" ? e.position : 0, e.code, expression);
}

/** The parsed expression (cached); throws `ExpressionError` on a syntax error. */
export function parseExpression(expression: string): jsonata.Expression {
  const hit = parsed.get(expression);
  if (hit) {
    parsed.delete(expression);
    parsed.set(expression, hit);
    return hit;
  }
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(`Expression is longer than ${MAX_EXPRESSION_LENGTH} characters`, 0, undefined, expression);
  }
  let result: jsonata.Expression;
  try {
    result = jsonata(expression);
  } catch (error) {
    throw toExpressionError(error, expression);
  }
  parsed.set(expression, result);
  if (parsed.size > CACHE_LIMIT) {
    const oldest = parsed.keys().next().value;
    if (oldest !== undefined) parsed.delete(oldest);
  }
  return result;
}

/** null when the expression parses, otherwise what is wrong and where. */
export function checkExpressionSyntax(expression: string): ExpressionSyntaxProblem | null {
  if (expression.trim() === "") return { message: "Expression is empty", position: 0 };
  try {
    parseExpression(expression);
    return null;
  } catch (error) {
    const e = toExpressionError(error, expression);
    return { message: e.reason, position: e.position };
  }
}
