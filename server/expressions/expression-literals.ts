import jsonata from "jsonata";

// The whole string literals of a JSONata expression: `["https://a/1.jpg", event.data.image]`
// gives "https://a/1.jpg". A literal that is only part of a concatenation (`"https://" & host`)
// is left out: the value a run uses is known only at run time. Used for the editor's warnings
// about addresses a run will call (docs/decisions/0029); nothing is evaluated.

type AstNode = { type?: string; value?: unknown; [key: string]: unknown };

/** Every whole string literal of `expression`, in order; none when it does not parse. */
export function wholeStringLiterals(expression: string): string[] {
  let ast: AstNode;
  try {
    ast = jsonata(expression).ast() as AstNode;
  } catch {
    return [];
  }
  const found: string[] = [];
  const visit = (node: unknown, insideConcat: boolean) => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item, insideConcat);
      return;
    }
    if (typeof node !== "object" || node === null) return;
    const n = node as AstNode;
    if (n.type === "string" && typeof n.value === "string") {
      if (!insideConcat) found.push(n.value);
      return;
    }
    const concat = n.type === "binary" && n.value === "&";
    for (const [key, child] of Object.entries(n)) {
      if (key === "value" || key === "position" || key === "type") continue;
      visit(child, concat);
    }
  };
  visit(ast, false);
  return found;
}
