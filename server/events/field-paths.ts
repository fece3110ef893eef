import * as z from "zod";

// Completion in the editor needs every path an expression can reach inside an event or a step's
// output. Walking the JSON Schema that zod generates (instead of zod internals or a hand-written
// list) keeps completion in step with the schema registry automatically.

export interface FieldPath {
  /** A JSONata path, e.g. `event.data.lines[0].quantity`. */
  path: string;
  /** JSON Schema type(s), e.g. `string`, `integer`, `array`, `number | null`. */
  type: string;
  description?: string;
  /** False when the field (or one of its parents) may be absent. */
  required: boolean;
}

type JsonSchema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema | JsonSchema[];
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  const?: unknown;
  enum?: unknown[];
};

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** One step of a JSONata path: names that are not plain identifiers need backticks. */
export function jsonataPathSegment(name: string): string {
  return IDENTIFIER.test(name) ? name : `\`${name.replaceAll("`", "")}\``;
}

/** Every path below `prefix` that the (output) value of `schema` can have, parents before children. */
export function fieldPathsOf(schema: z.ZodType, prefix: string): FieldPath[] {
  const root = z.toJSONSchema(schema, { io: "output", unrepresentable: "any" }) as JsonSchema;
  const found = new Map<string, FieldPath>();
  walk(root, root, prefix, true, found, 0);
  found.delete(prefix);
  return [...found.values()];
}

// Deep or recursive schemas would otherwise produce an endless list; completion needs only the top.
const MAX_DEPTH = 8;

function walk(root: JsonSchema, node: JsonSchema, path: string, required: boolean, found: Map<string, FieldPath>, depth: number): void {
  if (depth > MAX_DEPTH) return;
  const resolved = resolveRef(root, node);
  const branches = [...(resolved.anyOf ?? []), ...(resolved.oneOf ?? []), ...(resolved.allOf ?? [])];
  if (branches.length > 0) {
    for (const branch of branches) walk(root, branch, path, required, found, depth + 1);
    return;
  }
  record(found, path, resolved, required);
  if (resolved.properties) {
    const requiredKeys = new Set(resolved.required ?? []);
    for (const [key, child] of Object.entries(resolved.properties)) {
      walk(root, child, `${path}.${jsonataPathSegment(key)}`, required && requiredKeys.has(key), found, depth + 1);
    }
  }
  const items = resolved.items ?? resolved.prefixItems;
  if (items) {
    const element = Array.isArray(items) ? items[0] : items;
    if (element) walk(root, element, `${path}[0]`, false, found, depth + 1);
  }
}

function record(found: Map<string, FieldPath>, path: string, schema: JsonSchema, required: boolean): void {
  const type = typeName(schema);
  const existing = found.get(path);
  if (!existing) {
    found.set(path, { path, type, required, ...(schema.description ? { description: schema.description } : {}) });
    return;
  }
  // The same path reached through several union branches: merge what each branch says.
  const types = new Set([...existing.type.split(" | "), ...type.split(" | ")].filter((t) => t !== "unknown"));
  existing.type = types.size > 0 ? [...types].join(" | ") : "unknown";
  existing.required &&= required;
  existing.description ??= schema.description;
}

function typeName(schema: JsonSchema): string {
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  if (schema.type) return schema.type;
  if (schema.const !== undefined) return typeof schema.const;
  if (schema.enum) return [...new Set(schema.enum.map((value) => typeof value))].join(" | ");
  return "unknown";
}

function resolveRef(root: JsonSchema, node: JsonSchema): JsonSchema {
  if (!node.$ref) return node;
  if (node.$ref === "#") return root;
  const match = /^#\/\$defs\/(.+)$/.exec(node.$ref);
  const target = match?.[1] ? root.$defs?.[match[1]] : undefined;
  return target ? { ...target, description: node.description ?? target.description } : {};
}
