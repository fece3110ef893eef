import { describe, expect, it } from "vitest";
import * as z from "zod";
import { expressionSuggestions } from "./expression-suggestions";

describe("expressionSuggestions", () => {
  it("offers the envelope, the trigger's data fields and earlier steps", () => {
    const labels = expressionSuggestions("stock.changed", ["sold_out", "http-request-1"]).map((s) => s.label);
    expect(labels).toEqual(
      expect.arrayContaining([
        "event.id",
        "event.subject",
        "event.type",
        "event.data.sku",
        "event.data.quantity",
        "event.data.warehouse",
        "steps.sold_out",
        "steps.`http-request-1`",
      ]),
    );
  });

  it("describes each data field", () => {
    const quantity = expressionSuggestions("order.placed", []).find((s) => s.label === "event.data.lines[0].quantity");
    expect(quantity?.detail).toBe("integer, optional · Units ordered");
    const orderId = expressionSuggestions("order.placed", []).find((s) => s.label === "event.data.orderId");
    expect(orderId?.detail).toBe("string · Order number");
  });

  it("offers only the envelope for an unknown or missing event type", () => {
    const labels = expressionSuggestions(undefined, []).map((s) => s.label);
    expect(labels).toContain("event.subject");
    expect(labels.some((l) => l.startsWith("event.data."))).toBe(false);
    expect(expressionSuggestions("return.requested", []).length).toBe(labels.length);
  });

  it("lists a step's output fields when given its schema", () => {
    const labels = expressionSuggestions(undefined, [{ id: "crm", output: z.object({ status: z.number().int() }) }]).map((s) => s.label);
    expect(labels).toEqual(expect.arrayContaining(["steps.crm", "steps.crm.status"]));
  });
});
