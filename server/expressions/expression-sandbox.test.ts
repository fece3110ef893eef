import { afterAll, describe, expect, it } from "vitest";
import { evaluateExpression } from "./evaluate-expression";
import { ExpressionError } from "./expression-syntax";
import { ExpressionSandbox } from "./expression-sandbox";

const SLOW_SINGLE_STEP = '$length($replace($pad("", 400000, "a"), /a/, "b"))';
const event = { data: { sku: `${"a".repeat(28)}!`, quantity: 3, tags: ["x", "y"] } };
const context = { event, steps: {} };

async function failure(promise: Promise<unknown>): Promise<ExpressionError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExpressionError);
  return error as ExpressionError;
}

describe("expressions in the sandbox", () => {
  it("matches regular expressions in linear time: a catastrophic pattern answers at once", async () => {
    // With backtracking this takes seconds (doubling per character); the deadline would stop it.
    expect(await evaluateExpression("$contains(event.data.sku, /^(a|a)+$/)", context)).toBe(false);
    expect(await evaluateExpression('$contains("aaaa", /^(a|a)+$/)', context)).toBe(true);
    expect(await evaluateExpression('$match("ab12cd345", /[0-9]+/).match', context)).toEqual(["12", "345"]);
    expect(await evaluateExpression('$replace("Hello World", /(\\w+) (\\w+)/, "$2 $1")', context)).toBe("World Hello");
    expect(await evaluateExpression('$split("a1b22c", /[0-9]+/)', context)).toEqual(["a", "b", "c"]);
    expect(await evaluateExpression('$contains("ABC", /b/i)', context)).toBe(true);
  });

  it("refuses a regular expression that needs backtracking features", async () => {
    const error = await failure(evaluateExpression('$contains("aa", /(a)\\1/)', context));
    expect(error.reason).toMatch(/not supported/);
  });

  it("refuses the $pad bomb with the limit in the message", async () => {
    const error = await failure(evaluateExpression('{"n": $length($pad("x", 120000000))}', context));
    expect(error.reason).toBe("$pad would make a string of 120,000,000 characters; the limit is 1,000,000");
  });

  it("refuses the $split bomb", async () => {
    const error = await failure(evaluateExpression('$count($split($pad("", 500000, "a,"), ","))', context));
    expect(error.reason).toMatch(/\$split would make more than 100,000 pieces/);
    expect(await evaluateExpression('$split("a,b,c", ",", 2)', context)).toEqual(["a", "b"]);
  });

  it("caps $join, $replace and &", async () => {
    const big = '$pad("", 600000, "a")';
    expect((await failure(evaluateExpression(`${big} & ${big}`, context))).reason).toMatch(/^"&" would make a string of 1,200,000 characters/);
    expect((await failure(evaluateExpression(`$join([${big}, ${big}])`, context))).reason).toMatch(/^\$join would make a string of 1,200,000/);
    expect((await failure(evaluateExpression(`$replace(${big}, "a", "bb")`, context))).reason).toMatch(/^\$replace would make a string of 1,200,000/);
    // Ordinary use is untouched.
    expect(await evaluateExpression('"SKU-" & event.data.quantity & $join(event.data.tags, "+") & $replace("a-b", "-", "_") & $pad("7", 3, "0")', context)).toBe("SKU-3x+ya_b700");
    expect(await evaluateExpression("event.data.missing & \"!\"", context)).toBe("!");
  });

  it("stops an expression at its deadline, and the next evaluation runs normally", async () => {
    const error = await failure(evaluateExpression("($loop := function($n) { $n < 0 ? $n : $loop($n + 1) }; $loop(0))", context, { timeoutMs: 200 }));
    expect(error.reason).toMatch(/exceeded 200 ms|Maximum call stack|Stack overflow/i);
    expect(await evaluateExpression("event.data.quantity * 2", context)).toBe(6);
  });
});

describe("ExpressionSandbox", () => {
  const sandbox = new ExpressionSandbox({ threads: 2, heapMb: 64 });
  afterAll(() => sandbox.close());

  it("terminates a thread stuck inside one step and replaces it; other evaluations carry on", async () => {
    // One JSONata step that takes seconds (400,000 regex replacements inside one $replace call),
    // where JSONata's own timeout never gets to check. The hard deadline terminates the thread.
    const stuck = sandbox.evaluate(SLOW_SINGLE_STEP, { event: {}, steps: {} }, 300);
    const others = await Promise.all([1, 2, 3].map((n) => sandbox.evaluate(`${n} + 1`, { event: {}, steps: {} }, 1000)));
    expect(others).toEqual([2, 3, 4].map((value) => ({ ok: true, value })));
    const outcome = await stuck;
    expect(outcome.ok).toBe(false);
    expect(outcome).toMatchObject({ ok: false, killed: "deadline", error: { message: "Expression exceeded 300 ms and was stopped" } });
    expect(sandbox.replacedThreads).toBeGreaterThanOrEqual(1);
    expect(await sandbox.evaluate("event.n * 3", { event: { n: 5 }, steps: {} }, 1000)).toEqual({ ok: true, value: 15 });
  });

  it("kills a thread that runs out of its heap, with the limit in the message", async () => {
    const small = new ExpressionSandbox({ threads: 1, heapMb: 16 });
    try {
      // Distinct 900,000-character strings: each under the string cap, 16 MB gone after a few.
      const outcome = await small.evaluate('[1..90000].($pad("", 900000, "x") & $string($))', { event: {}, steps: {} }, 20_000);
      expect(outcome).toMatchObject({ ok: false, killed: "memory", error: { message: "Expression exceeded 16 MB of memory and was stopped" } });
      expect(await small.evaluate("1 + 1", { event: {}, steps: {} }, 5_000)).toEqual({ ok: true, value: 2 });
    } finally {
      await small.close();
    }
  });

  it("measures the deadline from when a thread takes the task, not from the queue", async () => {
    const single = new ExpressionSandbox({ threads: 1, heapMb: 64 });
    try {
      const slow = single.evaluate(SLOW_SINGLE_STEP, { event: {}, steps: {} }, 300);
      // Queued behind the slow one for longer than its own deadline: still evaluated.
      const queued = single.evaluate('"ok"', { event: {}, steps: {} }, 100);
      expect(await queued).toEqual({ ok: true, value: "ok" });
      expect((await slow).ok).toBe(false);
    } finally {
      await single.close();
    }
  });
});
