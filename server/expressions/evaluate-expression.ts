import jsonata from "jsonata";
import { sharedExpressionSandbox } from "./expression-sandbox";

// Expressions are JSONata: a query language with no access to JavaScript, the network or the
// file system. The editor checks their syntax in the browser; the runtime evaluates them in the
// expression sandbox (a warm pool of worker threads with a heap limit and a hard deadline, see
// expression-sandbox.ts), so one runaway expression fails its step instead of stalling a worker.

/** What an expression sees: the triggering event and the outputs of earlier steps by node id. */
export interface ExpressionContext {
  event: unknown;
  steps: Record<string, unknown>;
}

export interface ExpressionSyntaxProblem {
  message: string;
  /** Character offset in the expression where JSONata noticed the problem (0 when unknown). */
  position: number;
}

export interface EvaluateOptions {
  /** The sandbox stops the evaluation after this long, even inside one step. Default 1,000 ms. */
  timeoutMs?: number;
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

const DEFAULT_TIMEOUT_MS = 1_000;
const MAX_STACK_DEPTH = 500;
const MAX_SEQUENCE_LENGTH = 100_000;
const MAX_EXPRESSION_LENGTH = 10_000;

// The editor checks the same few expressions on every keystroke: compiling once per text saves a
// parse. Bounded, oldest first out, so a flood of distinct expressions cannot grow it.
const CACHE_LIMIT = 1_000;
const compiled = new Map<string, { timeoutMs: number; expression: jsonata.Expression }>();

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

function compile(expression: string, timeoutMs: number): jsonata.Expression {
  const key = `${timeoutMs}\u0000${expression}`;
  const hit = compiled.get(key);
  if (hit) {
    compiled.delete(key);
    compiled.set(key, hit);
    return hit.expression;
  }
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(`Expression is longer than ${MAX_EXPRESSION_LENGTH} characters`, 0, undefined, expression);
  }
  let result: jsonata.Expression;
  try {
    result = jsonata(expression, { timeout: timeoutMs, stack: MAX_STACK_DEPTH, sequence: MAX_SEQUENCE_LENGTH });
  } catch (error) {
    throw toExpressionError(error, expression);
  }
  compiled.set(key, { timeoutMs, expression: result });
  if (compiled.size > CACHE_LIMIT) {
    const oldest = compiled.keys().next().value;
    if (oldest !== undefined) compiled.delete(oldest);
  }
  return result;
}

/** null when the expression parses, otherwise what is wrong and where. */
export function checkExpressionSyntax(expression: string): ExpressionSyntaxProblem | null {
  if (expression.trim() === "") return { message: "Expression is empty", position: 0 };
  try {
    compile(expression, DEFAULT_TIMEOUT_MS);
    return null;
  } catch (error) {
    const e = toExpressionError(error, expression);
    return { message: e.reason, position: e.position };
  }
}

/**
 * Evaluates a JSONata expression against `{ event, steps }` in the expression sandbox. Returns
 * plain JSON values (`undefined` when nothing matched) and throws `ExpressionError` on syntax or
 * evaluation errors, including a stopped evaluation ("Expression exceeded 1 s and was stopped").
 */
export async function evaluateExpression(expression: string, context: ExpressionContext, options: EvaluateOptions = {}): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (expression.trim() === "") throw new ExpressionError("Expression is empty", 0, undefined, expression);
  // Parsed here first: a syntax error is reported without a round trip, and the cache is shared
  // with the syntax check.
  compile(expression, timeoutMs);
  const outcome = await sharedExpressionSandbox().evaluate(expression, { event: context.event, steps: context.steps }, timeoutMs);
  if (outcome.ok) return outcome.value;
  const { message, position, code } = outcome.error;
  // JSONata's own between-steps timeout and the sandbox's deadline mean the same thing to a user.
  if (code === "D1012") throw new ExpressionError(`Expression exceeded ${timeoutMs % 1000 === 0 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`} and was stopped`, 0, code, expression);
  throw new ExpressionError(message, position, code, expression);
}
