// Which JSONata expressions may be evaluated on the calling thread instead of in the expression
// sandbox's thread (expression-sandbox.ts). "Straight-line": field paths, literals, arithmetic,
// comparison, `and`/`or`/`in`, `&`, `? :`, array/object constructors and calls of a few linear
// built-ins (`$uppercase`, `$string`, `$round`, …), in a small tree. Such an expression has no
// lambdas, functions of its own, regular expressions, ranges, wildcards, sorting,
// variable bindings or filters other than a literal index, so each node of the tree is evaluated
// once per item it walks, at most once over the input: its cost is at most (nodes × input size),
// it cannot loop, recurse or build more than the `&` cap. The thread's deadline and heap limit
// guard against what such a tree cannot do, and its round trip costs more than the evaluation
// itself (docs/decisions/0041-straight-line-expressions-on-the-calling-thread.md).
//
// An allowlist on purpose: a node type or field this does not know sends the expression to the
// sandbox, so a future JSONata feature is safe by default.

/** Larger trees go to the sandbox: (nodes × input size) must stay far under the sandbox's deadline. */
export const MAX_STRAIGHT_LINE_NODES = 32;

const OPERATORS = new Set(["=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "and", "or", "in", "&"]);

/**
 * JSONata built-ins whose cost is linear in their arguments and whose result is no larger than
 * them. Not here on purpose: `$pad`, `$join`, `$split`, `$replace`, `$match` (sizes or patterns
 * from the data), `$contains` and `$substringBefore`/`After` (a search of one text for another,
 * both from the data, has no linear bound), `$eval` (evaluates text as an expression), anything that takes a function
 * (`$map`, `$filter`, `$sort`, …), and the date pictures of `$fromMillis`/`$toMillis`.
 */
const LINEAR_FUNCTIONS = new Set([
  "string", "number", "boolean", "not", "exists", "length", "uppercase", "lowercase", "trim",
  "substring", "round", "floor", "ceil", "abs", "sum", "count", "max", "min", "average", "now", "millis",
]);

type AstNode = Record<string, unknown>;

function isNode(value: unknown): value is AstNode {
  return typeof value === "object" && value !== null && !Array.isArray(value) && typeof (value as AstNode).type === "string";
}

/** Every field of `node` that has a value is `type`, `position` or one of `allowed`. */
function onlyKeys(node: AstNode, allowed: readonly string[]): boolean {
  for (const key of Object.keys(node)) {
    if (key !== "type" && key !== "position" && node[key] !== undefined && !allowed.includes(key)) return false;
  }
  return true;
}

/** True when `ast` (a compiled expression's `ast()`) is straight-line and small enough to evaluate here. */
export function isStraightLine(ast: unknown): boolean {
  let nodes = 0;
  const visit = (node: unknown, inPath: boolean): boolean => {
    if (!isNode(node) || ++nodes > MAX_STRAIGHT_LINE_NODES) return false;
    switch (node.type) {
      case "string":
      case "number":
      case "value":
        return onlyKeys(node, ["value"]);
      case "variable":
        // `$` and `$$` (the input); any other variable is a binding or a function.
        return onlyKeys(node, ["value"]) && (node.value === "" || node.value === "$");
      case "name":
        return onlyKeys(node, ["value", "stages"]) && (node.stages === undefined || literalIndexes(node.stages));
      case "path":
        return onlyKeys(node, ["steps", "keepSingletonArray"]) && Array.isArray(node.steps) && node.steps.every((step) => visit(step, true));
      case "binary":
        return onlyKeys(node, ["value", "lhs", "rhs"]) && OPERATORS.has(node.value as string) && visit(node.lhs, false) && visit(node.rhs, false);
      case "function":
        // A call of a linear built-in by name (`$uppercase(event.data.sku)`); `$x := …` is not
        // straight-line, so the name cannot have been rebound.
        return (
          onlyKeys(node, ["value", "procedure", "arguments"]) && node.value === "(" && isNode(node.procedure) && node.procedure.type === "variable" &&
          onlyKeys(node.procedure, ["value"]) && LINEAR_FUNCTIONS.has(node.procedure.value as string) &&
          Array.isArray(node.arguments) && node.arguments.every((argument) => visit(argument, false))
        );
      case "condition":
        return onlyKeys(node, ["condition", "then", "else"]) && visit(node.condition, false) && visit(node.then, false) && (node.else === undefined || visit(node.else, false));
      case "unary":
        if (node.value === "-") return onlyKeys(node, ["value", "expression"]) && visit(node.expression, false);
        if (node.value === "[") return onlyKeys(node, ["value", "expressions", "consarray"]) && Array.isArray(node.expressions) && node.expressions.every((e) => visit(e, false));
        // An object constructor inside a path groups the items it walks: that is the sandbox's.
        if (node.value === "{" && !inPath) {
          return onlyKeys(node, ["value", "lhs"]) && Array.isArray(node.lhs) && node.lhs.every((pair) => Array.isArray(pair) && pair.length === 2 && visit(pair[0], false) && visit(pair[1], false));
        }
        return false;
      default:
        return false;
    }
  };
  /** `items[0]`, `items[-1]`: a filter stage whose predicate is a number literal. */
  const literalIndexes = (stages: unknown): boolean =>
    Array.isArray(stages) &&
    stages.every((stage) => isNode(stage) && stage.type === "filter" && onlyKeys(stage, ["expr"]) && isNode(stage.expr) && stage.expr.type === "number" && ++nodes <= MAX_STRAIGHT_LINE_NODES);
  return visit(ast, false);
}
