import { evaluateExpression, type EvaluateOptions, type ExpressionContext } from "./evaluate-expression";
import { ExpressionError } from "./expression-syntax";
import { parseTemplate } from "./template-syntax";

// Fills a text field's `{{ expression }}` placeholders (template-syntax.ts splits them out).

export interface RenderTemplateOptions extends EvaluateOptions {
  /** Applied to each placeholder's text, e.g. `encodeURIComponent` when building a URL path. */
  encode?: (value: string) => string;
}

/** Fills every `{{ expression }}` with its value: text as is, objects as JSON, nothing for null/undefined. */
export async function renderTemplate(template: string, context: ExpressionContext, options: RenderTemplateOptions = {}): Promise<string> {
  let out = "";
  for (const part of parseTemplate(template)) {
    if (part.kind === "text") {
      out += part.text;
      continue;
    }
    let value: unknown;
    try {
      value = await evaluateExpression(part.expression, context, options);
    } catch (error) {
      const e = error as ExpressionError;
      throw new ExpressionError(e.reason, part.position + e.position, e.code, template);
    }
    const text = placeholderText(value);
    out += options.encode ? options.encode(text) : text;
  }
  return out;
}

function placeholderText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}
