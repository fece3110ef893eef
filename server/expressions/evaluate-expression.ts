import type jsonata from "jsonata";
import { evaluateOnThisThread, sharedExpressionSandbox } from "./expression-sandbox";
import { ExpressionError, parseExpression } from "./expression-syntax";
import { isStraightLine } from "./straight-line";

// Expressions are JSONata: a query language with no access to JavaScript, the network or the
// file system. The editor checks their syntax in the browser (expression-syntax.ts); the runtime
// evaluates them in the expression sandbox (a warm pool of worker threads with a heap limit and a
// hard deadline, see expression-sandbox.ts), so one runaway expression fails its step instead of
// stalling a worker. A straight-line expression (a field path, `&`, arithmetic: straight-line.ts),
// which cannot run away, is evaluated on the calling thread with the sandbox's own code instead.

/** What an expression sees: the triggering event and the outputs of earlier steps by node id. */
export interface ExpressionContext {
  event: unknown;
  steps: Record<string, unknown>;
}

export interface EvaluateOptions {
  /** The sandbox stops the evaluation after this long, even inside one step. Default 1,000 ms. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 1_000;

/** Per parsed expression (so bounded by the parse cache): may it run on this thread? */
const straightLine = new WeakMap<jsonata.Expression, boolean>();

/**
 * Evaluates a JSONata expression against `{ event, steps }` in the expression sandbox. Returns
 * plain JSON values (`undefined` when nothing matched) and throws `ExpressionError` on syntax or
 * evaluation errors, including a stopped evaluation ("Expression exceeded 1 s and was stopped").
 */
export async function evaluateExpression(expression: string, context: ExpressionContext, options: EvaluateOptions = {}): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (expression.trim() === "") throw new ExpressionError("Expression is empty", 0, undefined, expression);
  // Parsed here first: a syntax error is reported without a round trip, and the parse is shared
  // with the syntax check.
  const parsed = parseExpression(expression);
  let here = straightLine.get(parsed);
  if (here === undefined) straightLine.set(parsed, (here = isStraightLine(parsed.ast())));
  const input = { event: context.event, steps: context.steps };
  const outcome = here ? await evaluateOnThisThread(expression, input, timeoutMs) : await sharedExpressionSandbox().evaluate(expression, input, timeoutMs);
  if (outcome.ok) return outcome.value;
  const { message, position, code } = outcome.error;
  // JSONata's own between-steps timeout and the sandbox's deadline mean the same thing to a user.
  if (code === "D1012") throw new ExpressionError(`Expression exceeded ${timeoutMs % 1000 === 0 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`} and was stopped`, 0, code, expression);
  throw new ExpressionError(message, position, code, expression);
}
