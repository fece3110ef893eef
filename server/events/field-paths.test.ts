import { describe, expect, it } from "vitest";
import * as z from "zod";
import { fieldPathsOf, jsonataPathSegment } from "./field-paths";

describe("fieldPathsOf", () => {
  it("quotes names that are not JSONata identifiers", () => {
    const schema = z.object({ "product-id": z.string(), ok: z.number() });
    expect(fieldPathsOf(schema, "steps.x").map((p) => p.path)).toEqual(["steps.x.`product-id`", "steps.x.ok"]);
  });

  it("merges union branches and nullable types", () => {
    const schema = z.object({ value: z.union([z.object({ a: z.string() }), z.object({ b: z.number() })]), maybe: z.number().nullable() });
    const paths = fieldPathsOf(schema, "p");
    expect(paths.map((p) => p.path)).toEqual(["p.value", "p.value.a", "p.value.b", "p.maybe"]);
    expect(paths.find((p) => p.path === "p.maybe")?.type).toBe("number | null");
  });

  it("stops at recursive schemas", () => {
    const Category: z.ZodType<{ name: string; parent?: unknown }> = z.lazy(() => z.object({ name: z.string(), parent: Category.optional() }));
    const paths = fieldPathsOf(z.object({ category: Category }), "e");
    expect(paths.length).toBeGreaterThan(2);
    expect(paths.length).toBeLessThan(30);
  });

  it("builds path segments", () => {
    expect(jsonataPathSegment("sku")).toBe("sku");
    expect(jsonataPathSegment("bol.com")).toBe("`bol.com`");
  });
});
