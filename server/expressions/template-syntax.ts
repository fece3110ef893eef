import { ExpressionError, checkExpressionSyntax, type ExpressionSyntaxProblem } from "./expression-syntax";

// Text fields such as URLs and prompts mix literal text with `{{ expression }}` placeholders.
// The scanner below respects JSONata string literals and braces, so `{{ {"a": "}}"}.a }}` works.
// Browser-safe: the editor checks templates with it; render-template.ts fills them on the server.

export type TemplatePart = { kind: "text"; text: string } | { kind: "expression"; expression: string; position: number };

/** Splits a template into text and expressions; throws `ExpressionError` on an unclosed `{{`. */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let cursor = 0;
  while (cursor < template.length) {
    const open = template.indexOf("{{", cursor);
    if (open === -1) break;
    if (open > cursor) parts.push({ kind: "text", text: template.slice(cursor, open) });
    const start = open + 2;
    const close = findClose(template, start);
    if (close === -1) throw new ExpressionError('"{{" is not closed by "}}"', open + 1, undefined, template);
    parts.push({ kind: "expression", expression: template.slice(start, close).trim(), position: start });
    cursor = close + 2;
  }
  if (cursor < template.length) parts.push({ kind: "text", text: template.slice(cursor) });
  return parts;
}

function findClose(template: string, from: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = from; i < template.length; i++) {
    const char = template[i];
    if (quote) {
      if (char === "\\") i++;
      else if (char === quote) quote = null;
      continue;
    }
    if (char === '"' || char === "'" || char === "`") quote = char;
    else if (char === "{") depth++;
    else if (char === "}") {
      if (depth === 0 && template[i + 1] === "}") return i;
      depth = Math.max(0, depth - 1);
    }
  }
  return -1;
}

/** null when every placeholder parses; positions are offsets in the whole template. */
export function checkTemplateSyntax(template: string): ExpressionSyntaxProblem | null {
  let parts: TemplatePart[];
  try {
    parts = parseTemplate(template);
  } catch (error) {
    const e = error as ExpressionError;
    return { message: e.reason, position: e.position };
  }
  for (const part of parts) {
    if (part.kind !== "expression") continue;
    if (part.expression === "") return { message: "Empty placeholder {{ }}", position: part.position };
    const problem = checkExpressionSyntax(part.expression);
    if (problem) return { message: problem.message, position: part.position + problem.position };
  }
  return null;
}
