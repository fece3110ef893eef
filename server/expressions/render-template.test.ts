import { describe, expect, it } from "vitest";
import { builtInEventTypes } from "../events/event-types";
import { ExpressionError } from "./expression-syntax";
import { renderTemplate } from "./render-template";
import { checkTemplateSyntax, parseTemplate } from "./template-syntax";

const context = { event: builtInEventTypes["product.created"].example, steps: { translate: { translations: { de: { name: "Pullover" } } } } };

describe("renderTemplate", () => {
  it("fills placeholders", async () => {
    expect(await renderTemplate("Describe {{ event.data.name }} ({{event.data.sku}}).", context)).toBe("Describe Merino wool sweater (SKU-1001).");
    expect(await renderTemplate("{{ steps.translate.translations.de.name }}", context)).toBe("Pullover");
  });

  it("writes numbers as text, objects as JSON and nothing for missing values", async () => {
    expect(await renderTemplate("{{ event.data.price }} {{ event.data.attributes }} [{{ event.data.missing }}]", context)).toBe(
      '89.95 {"color":"navy","material":"merino wool"} []',
    );
  });

  it("encodes placeholder values, not the literal text", async () => {
    const withSlash = { ...context, event: { ...context.event, data: { sku: "A/B 1" } } };
    expect(await renderTemplate("https://shop.example.com/p/{{ event.data.sku }}?x=1", withSlash, { encode: encodeURIComponent })).toBe(
      "https://shop.example.com/p/A%2FB%201?x=1",
    );
  });

  it("understands braces and strings inside a placeholder", async () => {
    expect(await renderTemplate('{{ {"a": "}}"}.a }}!', context)).toBe("}}!");
    expect(parseTemplate("no placeholders")).toEqual([{ kind: "text", text: "no placeholders" }]);
  });

  it("reports errors at their position in the whole template", async () => {
    const error = await renderTemplate("Hello {{ event.data.sku + }}", context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as ExpressionError).position).toBeGreaterThan(8);
  });
});

describe("checkTemplateSyntax", () => {
  it("accepts text and valid placeholders", () => {
    expect(checkTemplateSyntax("plain")).toBeNull();
    expect(checkTemplateSyntax("{{ event.data.sku }}-{{ $uppercase(event.data.name) }}")).toBeNull();
  });

  it("reports an unclosed placeholder", () => {
    expect(checkTemplateSyntax("a {{ event.data.sku")).toEqual({ message: '"{{" is not closed by "}}"', position: 3 });
  });

  it("reports an empty placeholder and a bad expression with its offset", () => {
    expect(checkTemplateSyntax("x {{ }}")?.message).toMatch(/Empty placeholder/);
    const problem = checkTemplateSyntax("abc {{ foo( }}");
    expect(problem?.message).toMatch(/Expected "\)"/);
    expect(problem?.position).toBe(6 + 4);
  });
});
