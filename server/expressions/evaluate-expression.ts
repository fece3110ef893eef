import jsonata from "jsonata";

// Expressions are JSONata: a query language with no access to JavaScript, the network or the
// file system, so user-written expressions can run in the browser (preview) and in the worker
// alike. The guardrails below keep one runaway expression from stalling a worker.

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
  /** Evaluation gives up after this long; JSONata checks between steps. Default 1,000 ms. */
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

// The worker evaluates the same few expressions for every event: compiling once per text saves
// a parse per event. Bounded, oldest first out, so a flood of distinct expressions cannot grow it.
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
 * Evaluates a JSONata expression against `{ event, steps }`. Returns plain JSON values
 * (`undefined` when nothing matched) and throws `ExpressionError` on syntax or evaluation errors.
 */
export async function evaluateExpression(expression: string, context: ExpressionContext, options: EvaluateOptions = {}): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (expression.trim() === "") throw new ExpressionError("Expression is empty", 0, undefined, expression);
  const compiledExpression = compile(expression, timeoutMs);
  try {
    return toPlainValue(await compiledExpression.evaluate({ event: context.event, steps: context.steps }));
  } catch (error) {
    throw toExpressionError(error, expression);
  }
}

// JSONata marks result arrays with extra properties (`sequence`, `keepSingleton`) and may return
// functions; step outputs are stored as JSON and compared in tests, so strip all of that here.
function toPlainValue(value: unknown): unknown {
  if (typeof value === "function") return undefined;
  if (Array.isArray(value)) return value.map(toPlainValue).filter((item) => item !== undefined);
  if (value !== null && typeof value === "object") {
    const plain: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const converted = toPlainValue(item);
      if (converted !== undefined) plain[key] = converted;
    }
    return plain;
  }
  return value;
}
