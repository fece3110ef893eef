import { describe, expect, it } from "vitest";
import * as z from "zod";
import { MAX_INPUT_DEPTH, safeInputSchema, unsafeInputIssues } from "./unsafe-input";

function nested(depth: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe("unsafe input", () => {
  it("accepts ordinary text, emoji (surrogate pairs) and nesting up to the cap", () => {
    expect(unsafeInputIssues({ sku: "SKU-1", note: "grüße 😀", list: [1, "x", null, true] })).toEqual([]);
    expect(unsafeInputIssues(nested(MAX_INPUT_DEPTH))).toEqual([]);
  });

  it("names every NUL and unpaired surrogate, in values and property names", () => {
    expect(unsafeInputIssues({ subject: "SKU\u00001", data: { lines: [{ sku: "A\uD800" }], ["k\uDC00"]: 1 } })).toEqual([
      { path: ["subject"], message: "contains a NUL character (U+0000), which cannot be stored" },
      { path: ["data", "lines", 0, "sku"], message: "contains invalid Unicode (an unpaired surrogate); send UTF-8 text" },
      { path: ["data", "k\uDC00"], message: "the property name contains invalid Unicode (an unpaired surrogate); send UTF-8 text" },
    ]);
    expect(unsafeInputIssues("\uDBFF")).toHaveLength(1);
  });

  it("refuses nesting deeper than the cap without overflowing on 5,000 levels", () => {
    expect(unsafeInputIssues(nested(MAX_INPUT_DEPTH + 1))).toEqual([{ path: Array(MAX_INPUT_DEPTH).fill("a"), message: `is nested more than ${MAX_INPUT_DEPTH} levels deep` }]);
    const deep = JSON.parse(`${"[".repeat(5000)}${"]".repeat(5000)}`);
    expect(unsafeInputIssues(deep)).toHaveLength(1);
  });

  it("works as a zod refinement in front of any schema", () => {
    const schema = safeInputSchema.pipe(z.object({ name: z.string() }));
    expect(schema.safeParse({ name: "ok" }).success).toBe(true);
    const result = schema.safeParse({ name: "a\u0000b" });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: ["name"], message: expect.stringMatching(/NUL/) })]);
  });
});