import { describe, expect, it } from "vitest";
import { builtInEventTypes } from "../events/event-types";
import { evaluateExpression, type ExpressionContext } from "./evaluate-expression";
import { ExpressionError, checkExpressionSyntax } from "./expression-syntax";

const order: ExpressionContext = {
  event: builtInEventTypes["order.placed"].example,
  steps: { crm: { status: 201, body: { id: "CRM-9" } } },
};

describe("evaluateExpression", () => {
  it("reads the event and earlier steps", async () => {
    expect(await evaluateExpression("event.data.orderId", order)).toBe("ORDER-20260312-0042");
    expect(await evaluateExpression("steps.crm.body.id", order)).toBe("CRM-9");
    expect(await evaluateExpression("$sum(event.data.lines.(quantity * price))", order)).toBe(114.95);
  });

  it("returns plain arrays and objects, not JSONata sequences", async () => {
    const skus = await evaluateExpression("event.data.lines.sku", order);
    expect(skus).toEqual(["SKU-1001", "SKU-2002"]);
    expect(Object.keys(skus as object)).toEqual(["0", "1"]);
    expect(await evaluateExpression('{"skus": [event.data.lines.sku], "first": event.data.lines[0].sku}', order)).toEqual({
      skus: ["SKU-1001", "SKU-2002"],
      first: "SKU-1001",
    });
  });

  it("gives undefined when nothing matches", async () => {
    expect(await evaluateExpression("event.data.nothing.here", order)).toBeUndefined();
  });

  it("throws an ExpressionError with position for a syntax error", async () => {
    const error = await evaluateExpression("event.data.orderId +", order).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpressionError);
    expect(error).toMatchObject({ code: "S0207", position: 20, reason: "Unexpected end of expression" });
    expect((error as Error).message).toBe("Unexpected end of expression (at position 20)");
  });

  it("throws an ExpressionError for an evaluation error", async () => {
    const error = await evaluateExpression("event.data.orderId + 1", order).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as ExpressionError).code).toBe("T2001");
    expect((error as ExpressionError).reason).toMatch(/must evaluate to a number/);
  });

  it("stops a runaway expression", async () => {
    const error = await evaluateExpression("($loop := function($n) { $loop($n + 1) }; $loop(0))", order, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as ExpressionError).code).toMatch(/^D101[12]$/);
  });

  it("refuses an empty expression", async () => {
    await expect(evaluateExpression("  ", order)).rejects.toThrow(/empty/);
  });
});

describe("checkExpressionSyntax", () => {
  it("accepts valid JSONata", () => {
    expect(checkExpressionSyntax('{"sku": event.data.sku}')).toBeNull();
    expect(checkExpressionSyntax("event.data.quantity <= 0")).toBeNull();
  });

  it("reports message and position", () => {
    expect(checkExpressionSyntax('{"sku": }')).toEqual({ message: 'The symbol "}" cannot be used as a unary operator', position: 9 });
    expect(checkExpressionSyntax("")).toEqual({ message: "Expression is empty", position: 0 });
  });
});
