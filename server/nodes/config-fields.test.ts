import { describe, expect, it } from "vitest";
import * as z from "zod";
import { configFieldMeta, expressionField, formatFieldPath, referenceField, templateField, visitConfigFields } from "./config-fields";
import { retryPolicyField } from "./retry-policy";

describe("config field builders", () => {
  it("mark expressions, templates and references for the form", () => {
    expect(configFieldMeta(expressionField("x", { title: "X", description: "d", multiline: true }))).toMatchObject({ expression: true, multiline: true, title: "X" });
    expect(configFieldMeta(templateField("", { title: "T", description: "d" }))).toMatchObject({ template: true });
    expect(configFieldMeta(referenceField("channel", { title: "C", description: "d" }))).toMatchObject({
      reference: "channel",
      required: true,
      requiredMessage: "choose a channel",
    });
    expect(configFieldMeta(referenceField("credential", { title: "C", description: "d", required: false })).required).toBe(false);
  });

  it("reads metadata through wrappers; the outer one wins", () => {
    const inner = z.string().meta({ title: "Inner", description: "kept" });
    expect(configFieldMeta(inner.optional().default("a").meta({ title: "Outer" }))).toEqual({ title: "Outer", description: "kept" });
  });

  it("shows the metadata in the JSON Schema the form can use", () => {
    const schema = z.object({ body: expressionField("1", { title: "Body", description: "d", multiline: true }) });
    expect(z.toJSONSchema(schema, { io: "input" }).properties?.body).toMatchObject({ expression: true, multiline: true, default: "1" });
  });
});

describe("visitConfigFields", () => {
  it("finds fields in objects, arrays and records", () => {
    const schema = z.object({
      a: expressionField("", { title: "A", description: "" }),
      list: z.array(z.object({ when: expressionField("", { title: "W", description: "" }) })),
      mapping: z.record(z.string(), z.string().meta({ expression: true })),
      retry: retryPolicyField(),
    });
    const config = schema.parse({ a: "1", list: [{ when: "true" }, { when: "false" }], mapping: { price: "event.data.price" } });
    const found: string[] = [];
    visitConfigFields(schema, config, ({ path, meta }) => {
      if (meta.expression) found.push(formatFieldPath(path));
    });
    expect(found).toEqual(["a", "list[0].when", "list[1].when", "mapping.price"]);
  });
});

describe("formatFieldPath", () => {
  it("names nested fields the way people read them", () => {
    expect(formatFieldPath(["retry", "attempts"])).toBe("retry.attempts");
    expect(formatFieldPath(["cases", 0, "id"])).toBe("cases[0].id");
    expect(formatFieldPath(["headers", "X-Api-Key"])).toBe('headers["X-Api-Key"]');
    expect(formatFieldPath([])).toBe("");
  });
});
