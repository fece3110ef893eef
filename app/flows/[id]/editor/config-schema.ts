import * as z from "zod";
import { formatFieldPath } from "@/server/nodes/config-fields";
import type { AnyNodeDefinition } from "@/server/nodes/define-node";
import { userMessage } from "@/server/validation/user-words";

// How the editor reads a node's config schema: zod → JSON Schema (input side), unions folded into
// what a form can show (nullable → its value, constants → a choice, text-or-constants → text with
// suggestions), and the value a new array item starts as. Pure, so it is tested without a browser.

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  /** An array of names on objects; our `required: true` field meta on a property. */
  required?: string[] | boolean;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  format?: string;
  expression?: boolean;
  template?: boolean;
  multiline?: boolean;
  reference?: string;
  placeholder?: string;
  /** Not JSON Schema: values offered in a datalist (the constants of a string union). */
  suggestions?: string[];
}

const schemaCache = new WeakMap<object, JsonSchema>();

/** The JSON Schema of a definition's config as the form sees it: what a person may type (input side). */
export function configJsonSchema(definition: AnyNodeDefinition): JsonSchema {
  let cached = schemaCache.get(definition.config);
  if (!cached) {
    cached = z.toJSONSchema(definition.config, { io: "input", unrepresentable: "any" }) as JsonSchema;
    schemaCache.set(definition.config, cached);
  }
  return cached;
}

/** Field path → messages in the user's words (server/validation/user-words.ts), from the zod schema itself. */
export function zodFieldErrors(definition: AnyNodeDefinition, config: unknown): Map<string, string[]> {
  const errors = new Map<string, string[]>();
  const parsed = definition.config.safeParse(config);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) addError(errors, formatFieldPath(issue.path), userMessage(issue, definition.config));
  }
  return errors;
}

export function addError(errors: Map<string, string[]>, key: string, message: string) {
  const list = errors.get(key);
  if (!list) errors.set(key, [message]);
  else if (!list.includes(message)) list.push(message);
}

export function humanize(key: string): string {
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1).toLowerCase();
}

/** `nullable`/`optional` unions become their non-null branch; other unions stay as they are. */
export function normalize(schema: JsonSchema): JsonSchema {
  const branches = schema.anyOf ?? schema.oneOf;
  if (!branches) return schema;
  const nonNull = branches.filter((b) => b.type !== "null");
  if (nonNull.length === 1) return { ...nonNull[0], ...withoutUnion(schema) };
  // A union of constants is an enum.
  if (nonNull.every((b) => "const" in b)) return { ...withoutUnion(schema), type: "string", enum: nonNull.map((b) => b.const) };
  // `"auto" | languageCode`: still text, with the constants offered as suggestions.
  if (nonNull.every((b) => b.type === "string")) {
    const suggestions = nonNull.filter((b) => typeof b.const === "string").map((b) => b.const as string);
    return { ...withoutUnion(schema), type: "string", suggestions };
  }
  return schema;
}

function withoutUnion(schema: JsonSchema): JsonSchema {
  const { anyOf: _a, oneOf: _o, ...rest } = schema;
  return rest;
}

/** The first non-null branch of a union (what a new value starts as). */
function firstBranch(schema: JsonSchema): JsonSchema {
  const branches = schema.anyOf ?? schema.oneOf;
  return branches?.find((b) => b.type !== "null") ?? schema;
}

const SCALAR_TYPES = new Set(["string", "number", "integer", "boolean", "null"]);

/** A union of plain values (text, number, true/false, null) is typed as text and read back as JSON when it parses. */
export function isScalarUnion(schema: JsonSchema): boolean {
  const branches = schema.anyOf ?? schema.oneOf;
  return !!branches && branches.length > 1 && branches.every((b) => typeof b.type === "string" && SCALAR_TYPES.has(b.type) && !b.enum && !("const" in b));
}

export function typeOf(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== "null");
  return schema.type;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A fresh value for a new array item: each field's default, "" for strings without one. */
export function initialValue(schema: JsonSchema, siblings = 0, itemName = "item"): unknown {
  const s = firstBranch(normalize(schema));
  if (s.default !== undefined) return structuredClone(s.default);
  switch (typeOf(s)) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(s.properties ?? {})) {
        // An item's `id` (a switch case, say) must be filled and unique: number it.
        const value = key === "id" && typeOf(firstBranch(child)) === "string" ? `${itemName.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${siblings + 1}` : initialValue(child);
        if (value !== undefined) out[key] = value;
      }
      return out;
    }
    case "string":
      return s.enum?.[0] ?? "";
    case "boolean":
      return false;
    case "array":
      return [];
    default:
      return undefined;
  }
}

