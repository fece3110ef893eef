// Per-call cost of evaluating expressions in the sandbox (a warm pool of worker threads), next
// to the baseline of evaluating the same compiled expression directly on the calling thread, and
// what the runtime pays for it: `evaluateExpression`, which takes a straight-line expression like
// this one on the calling thread (server/expressions/straight-line.ts, decision 0041).
import jsonata from "jsonata";
import { evaluateExpression } from "../server/expressions/evaluate-expression";
import { ExpressionSandbox } from "../server/expressions/expression-sandbox";

const EXPRESSION = '{"sku": event.data.sku, "qty": event.data.quantity, "low": event.data.quantity < 5}';
const CONTEXT = { event: { type: "stock.changed", subject: "SKU-1", data: { sku: "SKU-1", quantity: 3 } }, steps: {} };

export interface ExpressionFigures {
  calls: number;
  directUsPerCall: number;
  sandboxUsPerCall: number;
  sandboxConcurrentUsPerCall: number;
  overheadUsPerCall: number;
  /** `evaluateExpression` of the same (straight-line) expression: what a step pays. */
  runtimeUsPerCall: number;
}

async function timePerCall(calls: number, run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await run();
  return Number(process.hrtime.bigint() - start) / 1000 / calls;
}

export async function measureExpressions(calls = 5_000): Promise<ExpressionFigures> {
  const compiled = jsonata(EXPRESSION);
  const sandbox = new ExpressionSandbox();
  try {
    // Warm both: JIT for the direct path, threads started and the expression cached for the sandbox.
    for (let i = 0; i < 500; i++) {
      await compiled.evaluate(CONTEXT);
      await sandbox.evaluate(EXPRESSION, CONTEXT, 1_000);
      await evaluateExpression(EXPRESSION, CONTEXT);
    }
    const direct = await timePerCall(calls, () => compiled.evaluate(CONTEXT));
    const boxed = await timePerCall(calls, () => sandbox.evaluate(EXPRESSION, CONTEXT, 1_000));
    const runtime = await timePerCall(calls, () => evaluateExpression(EXPRESSION, CONTEXT));
    // Many partitions evaluate at once in a worker: 32 in flight shows the pool's throughput.
    const start = process.hrtime.bigint();
    await Promise.all(Array.from({ length: 32 }, async () => {
      for (let i = 0; i < calls / 32; i++) await sandbox.evaluate(EXPRESSION, CONTEXT, 1_000);
    }));
    const concurrent = Number(process.hrtime.bigint() - start) / 1000 / calls;
    const round = (n: number) => Math.round(n * 10) / 10;
    return { calls, directUsPerCall: round(direct), sandboxUsPerCall: round(boxed), sandboxConcurrentUsPerCall: round(concurrent), overheadUsPerCall: round(boxed - direct), runtimeUsPerCall: round(runtime) };
  } finally {
    await sandbox.close();
  }
}
