import jsonata from "jsonata";
import { describe, expect, it } from "vitest";
import { evaluateExpression } from "./evaluate-expression";
import { sharedExpressionSandbox } from "./expression-sandbox";
import { isStraightLine, MAX_STRAIGHT_LINE_NODES } from "./straight-line";

const straightLine = (expression: string) => isStraightLine(jsonata(expression).ast());

describe("straight-line expressions", () => {
  it.each([
    "event.data.sku",
    "`field name`",
    "$.event.id",
    '"SKU-" & event.data.sku',
    "event.data.price * 1.2 + 1",
    "event.data.quantity > 0 and event.type = 'stock.changed'",
    "event.data.quantity > 0 ? 'in stock' : 'sold out'",
    "event.data.channel in ['shop', 'pos']",
    "event.data.items[0].sku",
    "-event.data.delta",
    '{"sku": event.data.sku, "price": event.data.price}',
    "[event.data.sku, steps.fetch.body.id]",
    "null",
    "$uppercase(event.data.sku)",
    "$string(event.data)",
    "$round(event.data.price * 1.2, 2)",
    "$substring(event.data.sku, 0, 3)",
  ])("%s is straight-line: field paths, literals, operators, conditions, constructors, linear built-ins", (expression) => {
    expect(straightLine(expression)).toBe(true);
  });

  it.each([
    "$pad('x', 1000000)",
    "$join(event.data.tags, ',')",
    "$split(event.data.text, '')",
    "$replace(event.data.text, 'a', 'b')",
    "$eval(event.data.code)",
    '$contains(event.data.sku, "SKU")',
    "$substringAfter(event.data.sku, '-')",
    "$substring(?, 1)",
    "$map(event.data.items, function($i) { $i.sku })",
    "function($x) { $x }",
    "$x := 1",
    "event.data.sku ~> $uppercase",
    "/a+/",
    "[1..100000]",
    "event.data.items[price > 10]",
    "event.**.sku",
    "event.*",
    "event.data.items^(price)",
    "event.data.items{sku: price}",
    "event.data.items.{'sku': sku}",
    "(event.data.sku; event.data.price)",
    "event.data.items@$i",
    "event.data.items#$n",
    "$unknown",
  ])("%s goes to the sandbox: it can loop, recurse, backtrack or grow", (expression) => {
    expect(straightLine(expression)).toBe(false);
  });

  it("are small: a longer tree goes to the sandbox", () => {
    const sum = (terms: number) => Array.from({ length: terms }, (_, i) => `event.data.n${i}`).join(" + ");
    // Each term is 4 nodes (a path of three names), each `+` one more.
    expect(straightLine(sum(4))).toBe(true);
    expect(straightLine(sum(Math.ceil(MAX_STRAIGHT_LINE_NODES / 5) + 2))).toBe(false);
  });

  const context = {
    event: { id: "e1", type: "stock.changed", data: { sku: "SKU-1", price: 12.5, quantity: 0, items: [{ sku: "A", n: 1 }, { sku: "B", n: 2 }], channel: "pos", text: "x" } },
    steps: { fetch: { body: { id: 42, tags: ["a", "b"] } } },
  };

  it("give the same values and errors on this thread as in the sandbox's thread", async () => {
    for (const expression of [
      "event.data.sku",
      '"SKU-" & event.data.sku & "-" & event.data.price',
      "event.data.price * 2",
      "event.data.quantity > 0 ? 'in stock' : 'sold out'",
      "event.data.items.sku",
      "event.data.items[1]",
      "event.data.missing",
      '{"sku": event.data.sku, "tags": steps.fetch.body.tags, "first": event.data.items[0]}',
      "event.data.channel in ['shop', 'pos']",
      "event.data.sku + 1",
      "$uppercase(event.data.sku) & '-' & $string(event.data.items)",
      "$round(event.data.price * 1.234, 2)",
      "$sum(event.data.items.n) + $count(event.data.items) + $max(event.data.items.n)",
      '$substring(event.data.sku, 1, 2) = "KU"',
      "$number(event.data.sku)",
    ]) {
      expect(straightLine(expression), expression).toBe(true);
      const inThread = await sharedExpressionSandbox().evaluate(expression, context, 1_000);
      const here = await evaluateExpression(expression, context).then(
        (value) => ({ ok: true, value }),
        (error: Error) => ({ ok: false, message: error.message }),
      );
      if (inThread.ok) expect(here, expression).toEqual({ ok: true, value: inThread.value });
      else expect(here, expression).toEqual({ ok: false, message: expect.stringContaining(inThread.error.message) });
    }
  });

  it("hand back copies, so a step that changes its result cannot change the event", async () => {
    const value = (await evaluateExpression("event.data.items", context)) as { sku: string }[];
    value[0]!.sku = "changed";
    expect(context.event.data.items[0]!.sku).toBe("A");
  });

  // Last in this file: it shuts the process's sandbox down.
  it("run without the sandbox's thread, with its caps", async () => {
    await sharedExpressionSandbox().close();
    await expect(evaluateExpression("$pad(event.data.sku, 10)", context)).rejects.toThrow(/sandbox is shut down/);
    expect(await evaluateExpression('"SKU-" & event.data.sku', context)).toBe("SKU-SKU-1");
    const big = { event: { data: { text: "x".repeat(600_000) } }, steps: {} };
    await expect(evaluateExpression("event.data.text & event.data.text", big)).rejects.toThrow('"&" would make a string of 1,200,000 characters; the limit is 1,000,000');
  });
});
