import { describe, expect, it } from "vitest";
import { getNodeDefinition } from "@/server/nodes/registry";
import {
  configJsonSchema,
  humanize,
  initialValue,
  isScalarUnion,
  normalize,
  typeOf,
  zodFieldErrors,
  type JsonSchema,
} from "./config-schema";

// How the editor reads node config schemas, on the real node definitions the form renders.

const definition = (kind: string) => getNodeDefinition(kind)!;

describe("configJsonSchema", () => {
  it("describes the input side with the field metadata that picks each editor", () => {
    const schema = configJsonSchema(definition("action:http-request"));
    expect(schema.properties?.method).toMatchObject({ type: "string", enum: ["GET", "POST", "PUT", "PATCH", "DELETE"], default: "POST", title: "Method" });
    expect(schema.properties?.url).toMatchObject({ type: "string", template: true, title: "URL" });
    expect(schema.properties?.jsonBody).toMatchObject({ type: "string", expression: true, multiline: true });
    expect(schema.properties?.headers?.additionalProperties).toMatchObject({ type: "string", template: true });
    expect(schema.properties?.credentialId).toBeUndefined();
    expect(configJsonSchema(definition("action:translate")).properties?.credentialId).toMatchObject({ reference: "credential", required: true });
  });

  it("is computed once per schema", () => {
    expect(configJsonSchema(definition("logic:switch"))).toBe(configJsonSchema(definition("logic:switch")));
  });
});

describe("normalize", () => {
  it("turns a nullable field into its value", () => {
    expect(normalize({ anyOf: [{ type: "number", minimum: 1 }, { type: "null" }], title: "Limit" })).toEqual({ type: "number", minimum: 1, title: "Limit" });
  });

  it("turns a union of constants into a choice", () => {
    expect(normalize({ anyOf: [{ const: "hold" }, { const: "skip" }], title: "Policy" })).toEqual({ type: "string", enum: ["hold", "skip"], title: "Policy" });
  });

  it("keeps text-or-constant as text and offers the constants (translate's source language)", () => {
    const from = configJsonSchema(definition("action:translate")).properties!.sourceLanguage!;
    expect(normalize(from)).toMatchObject({ type: "string", suggestions: ["auto"], title: "From" });
    expect(normalize(from).anyOf).toBeUndefined();
  });

  it("leaves other unions alone", () => {
    const mixed: JsonSchema = { anyOf: [{ type: "string" }, { type: "object" }] };
    expect(normalize(mixed)).toBe(mixed);
  });
});

describe("scalar unions and types", () => {
  it("recognises a union of plain values and nothing else", () => {
    expect(isScalarUnion({ anyOf: [{ type: "string" }, { type: "number" }, { type: "null" }] })).toBe(true);
    expect(isScalarUnion({ anyOf: [{ type: "string", enum: ["a"] }, { type: "number" }] })).toBe(false);
    expect(isScalarUnion({ anyOf: [{ const: "a" }, { const: "b" }] })).toBe(false);
    expect(isScalarUnion({ type: "string" })).toBe(false);
  });

  it("reads the non-null type of a multi-type field (a switch case's `equals`)", () => {
    const equals = configJsonSchema(definition("logic:switch")).properties!.cases!.items!.properties!.equals!;
    expect(typeOf(equals)).toBe("string");
    expect(typeOf({ type: ["null", "integer"] })).toBe("integer");
    expect(typeOf({ type: "boolean" })).toBe("boolean");
  });

  it("labels a field from its key when it has no title", () => {
    expect(humanize("timeoutMs")).toBe("Timeout ms");
    expect(humanize("order_id")).toBe("Order id");
  });
});

describe("initialValue", () => {
  it("starts a new switch case with a numbered, unique id and empty fields", () => {
    const item = configJsonSchema(definition("logic:switch")).properties!.cases!.items!;
    expect(initialValue(item, 0, "Case")).toEqual({ id: "case-1", label: "", equals: "" });
    expect(initialValue(item, 2, "Case")).toMatchObject({ id: "case-3" });
  });

  it("uses a default when there is one, copied so items do not share it", () => {
    const schema: JsonSchema = { type: "object", default: { tags: ["a"] } };
    const first = initialValue(schema) as { tags: string[] };
    first.tags.push("b");
    expect(initialValue(schema)).toEqual({ tags: ["a"] });
  });

  it("starts scalars empty: the first choice, false, an empty list", () => {
    expect(initialValue({ type: "string", enum: ["x", "y"] })).toBe("x");
    expect(initialValue({ type: "boolean" })).toBe(false);
    expect(initialValue({ type: "array", items: { type: "string" } })).toEqual([]);
  });
});

describe("zodFieldErrors", () => {
  it("keys the schema's own messages by field path", () => {
    const errors = zodFieldErrors(definition("action:http-request"), { url: "ftp://example.com", timeoutMs: 5 });
    expect(errors.get("url")).toEqual(["URL: enter a full http:// or https:// URL"]);
    expect(errors.get("timeoutMs")).toEqual(["Timeout (ms) must be at least 100"]);
    expect(zodFieldErrors(definition("action:http-request"), {}).size).toBe(0);
  });
});
