import "server-only";
import * as z from "zod";
import { db, type PrismaClient } from "@/server/db/client";
import { getBuiltInEventType, systemEventTypes, type CloudEvent } from "./event-types";
import { fieldPathsOf, type FieldPath } from "./field-paths";
import { compileJsonSchemaValidator, jsonSchemaIssues, linearPatternProblem } from "./json-schema-validator";

// The schema registry (docs/architecture.md): which `data` each event type accepts. Built-in types are zod
// schemas in code; custom types are JSON Schemas registered in the UI (table EventType). Ingest
// asks on every event, so custom types are held in memory for a few seconds instead of being read
// from the database each time; a type registered in another process shows up within that TTL.

export interface SchemaIssue {
  /** `data.quantity`, `data.lines.0.sku`, `type`, … */
  path: string;
  message: string;
}

/** The database could not be read and nothing is cached yet: retry later (503), not a bad event. */
export class SchemaRegistryUnavailableError extends Error {
  constructor(options?: ErrorOptions) {
    super("The schema registry is unavailable (the database did not answer); retry shortly.", options);
    this.name = "SchemaRegistryUnavailableError";
  }
}

// ---------------------------------------------------------------------------------------------
// Issues

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  return [prefix, ...path.map(String)].filter((part) => part !== "").join(".");
}

// zod says "Invalid input: expected string, received undefined" for a missing field; a sender
// fixing their payload needs to read "required" instead.
const friendlyErrors: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === "invalid_type" && issue.input === undefined) return "required";
  return undefined;
};

/** Validates `value` with `schema`; issue paths start with `prefix` (e.g. `data`). */
export function schemaIssues(schema: z.ZodType, value: unknown, prefix: string): SchemaIssue[] {
  // Without the error map first: zod parses several times slower with one, and ingest asks for every
  // event (docs/decisions/0036). The map only words the messages, so only a failure is parsed again.
  if (schema.safeParse(value).success) return [];
  const result = schema.safeParse(value, { error: friendlyErrors });
  if (result.success) return [];
  return result.error.issues.map((issue) => ({ path: joinPath(prefix, issue.path), message: issue.message }));
}

// ---------------------------------------------------------------------------------------------
// JSON Schema → zod

export type CompiledSchema =
  | {
      ok: true;
      /** Validates with ajv (see json-schema-validator.ts); a zod schema so built-in and custom types share schemaIssues. */
      schema: z.ZodType;
      /** Completion paths (`event.data.…`); empty when the schema is too dynamic to list them. */
      fields: FieldPath[];
    }
  | { ok: false; issues: SchemaIssue[] };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);

const TYPES = new Set(["string", "number", "integer", "boolean", "object", "array", "null"]);
const SUBSCHEMA = ["additionalProperties", "additionalItems", "not", "contains", "propertyNames", "if", "then", "else", "unevaluatedItems", "unevaluatedProperties", "contentSchema"];
const SUBSCHEMA_MAPS = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];
const SUBSCHEMA_LISTS = ["allOf", "anyOf", "oneOf", "prefixItems"];
const COUNTS = ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minContains", "maxContains"];
const NUMBERS = ["minimum", "maximum"];
const STRINGS = ["$schema", "$id", "$ref", "$comment", "$anchor", "title", "description", "format", "contentEncoding", "contentMediaType"];
const OBJECT_KEYWORDS = ["properties", "required", "additionalProperties", "patternProperties", "minProperties", "maxProperties", "propertyNames"];
const ARRAY_KEYWORDS = ["items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"];
const MAX_DEPTH = 64;

// z.fromJSONSchema is lenient about malformed keywords (`"properties": 5` or `"minimum": "x"` are
// silently ignored), so a schema that "compiles" could still not mean what its author wrote. This
// checks the shape of each keyword first, so the UI can point at the exact spot.
function checkShape(node: unknown, path: string[], issues: SchemaIssue[], depth: number): void {
  const at = (key?: string) => joinPath("", key === undefined ? path : [...path, key]);
  if (typeof node === "boolean") return;
  if (!isObject(node)) {
    issues.push({ path: at(), message: "a JSON Schema is an object (or true / false)" });
    return;
  }
  if (depth > MAX_DEPTH) {
    issues.push({ path: at(), message: `nested more than ${MAX_DEPTH} levels deep` });
    return;
  }
  const type = node.type;
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    if (types.length === 0 || types.some((t) => typeof t !== "string" || !TYPES.has(t))) {
      issues.push({ path: at("type"), message: `must be one of ${[...TYPES].join(", ")} (or a list of them)` });
    }
  }
  for (const key of SUBSCHEMA) if (node[key] !== undefined) checkShape(node[key], [...path, key], issues, depth + 1);
  for (const key of SUBSCHEMA_MAPS) {
    const map = node[key];
    if (map === undefined) continue;
    if (!isObject(map)) {
      issues.push({ path: at(key), message: "must be an object of schemas" });
      continue;
    }
    for (const [name, child] of Object.entries(map)) {
      const problem = key === "patternProperties" ? linearPatternProblem(name) : null;
      if (problem) issues.push({ path: joinPath("", [...path, key, name]), message: problem });
      checkShape(child, [...path, key, name], issues, depth + 1);
    }
  }
  for (const key of SUBSCHEMA_LISTS) {
    const list = node[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0) {
      issues.push({ path: at(key), message: "must be a non-empty list of schemas" });
      continue;
    }
    list.forEach((child, index) => checkShape(child, [...path, key, String(index)], issues, depth + 1));
  }
  if (node.items !== undefined) {
    // A list is the draft-07 tuple form.
    if (Array.isArray(node.items)) node.items.forEach((child, index) => checkShape(child, [...path, "items", String(index)], issues, depth + 1));
    else checkShape(node.items, [...path, "items"], issues, depth + 1);
  }
  if (node.required !== undefined && (!Array.isArray(node.required) || node.required.some((name) => typeof name !== "string"))) {
    issues.push({ path: at("required"), message: "must be a list of property names" });
  }
  if (node.enum !== undefined && !Array.isArray(node.enum)) issues.push({ path: at("enum"), message: "must be a list of values" });
  for (const key of COUNTS) {
    const value = node[key];
    if (value !== undefined && !(typeof value === "number" && Number.isInteger(value) && value >= 0)) {
      issues.push({ path: at(key), message: "must be a whole number ≥ 0" });
    }
  }
  for (const key of NUMBERS) {
    if (node[key] !== undefined && typeof node[key] !== "number") issues.push({ path: at(key), message: "must be a number" });
  }
  for (const key of ["exclusiveMinimum", "exclusiveMaximum"]) {
    // Draft-04 spelled these as booleans next to minimum/maximum.
    const value = node[key];
    if (value !== undefined && typeof value !== "number" && typeof value !== "boolean") issues.push({ path: at(key), message: "must be a number" });
  }
  if (node.multipleOf !== undefined && !(typeof node.multipleOf === "number" && node.multipleOf > 0)) {
    issues.push({ path: at("multipleOf"), message: "must be a number > 0" });
  }
  if (node.uniqueItems !== undefined && typeof node.uniqueItems !== "boolean") issues.push({ path: at("uniqueItems"), message: "must be true or false" });
  for (const key of STRINGS) {
    if (node[key] !== undefined && typeof node[key] !== "string") issues.push({ path: at(key), message: "must be a string" });
  }
  if (typeof node.pattern === "string") {
    const problem = linearPatternProblem(node.pattern);
    if (problem) issues.push({ path: at("pattern"), message: problem });
  } else if (node.pattern !== undefined) {
    issues.push({ path: at("pattern"), message: "must be a regular expression (string)" });
  }
}

// Completion only: z.fromJSONSchema gives the field paths. It ignores a `required` name missing
// from `properties` and object keywords without `type`; the rewrite lists those fields too.
function normalize(node: Json, depth = 0): Json {
  if (!isObject(node) || depth > MAX_DEPTH) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (SUBSCHEMA_MAPS.includes(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, normalize(child, depth + 1)]));
    } else if ((SUBSCHEMA_LISTS.includes(key) || key === "items") && Array.isArray(value)) {
      out[key] = value.map((child) => normalize(child, depth + 1));
    } else if (SUBSCHEMA.includes(key) || key === "items") {
      out[key] = normalize(value, depth + 1);
    } else {
      out[key] = value;
    }
  }
  const hasRefOrValue = out.$ref !== undefined || out.enum !== undefined || out.const !== undefined;
  if (out.type === undefined && !hasRefOrValue) {
    const objectish = OBJECT_KEYWORDS.some((key) => out[key] !== undefined);
    const arrayish = ARRAY_KEYWORDS.some((key) => out[key] !== undefined);
    if (objectish && !arrayish) out.type = "object";
    else if (arrayish && !objectish) out.type = "array";
  }
  if (Array.isArray(out.required)) {
    const properties: JsonObject = isObject(out.properties) ? { ...out.properties } : {};
    for (const name of out.required) {
      if (typeof name === "string" && !Object.hasOwn(properties, name)) properties[name] = {};
    }
    if (Object.keys(properties).length > 0) out.properties = properties;
  }
  return out;
}

/**
 * Checks a registered JSON Schema (draft 2020-12; draft-07 when its `$schema` says so) and
 * compiles it with ajv, or says precisely what is wrong with it. Remote `$ref`s are not fetched.
 */
export function compileJsonSchema(jsonSchema: unknown): CompiledSchema {
  const issues: SchemaIssue[] = [];
  checkShape(jsonSchema, [], issues, 0);
  if (issues.length > 0) return { ok: false, issues };
  let validate: ReturnType<typeof compileJsonSchemaValidator>;
  try {
    validate = compileJsonSchemaValidator(jsonSchema);
  } catch (error) {
    return { ok: false, issues: [{ path: "", message: `cannot be used: ${(error as Error).message}` }] };
  }
  const schema = z.unknown().superRefine((value, ctx) => {
    for (const issue of jsonSchemaIssues(validate, value)) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  });
  return { ok: true, schema, fields: customFieldPaths(jsonSchema) };
}

function customFieldPaths(jsonSchema: unknown): FieldPath[] {
  try {
    // A private registry per schema: fromJSONSchema stores unknown keywords (and `$id`s, which
    // must be unique) as metadata, and the global registry would collect them from every compile.
    const zodSchema = z.fromJSONSchema(normalize(jsonSchema as Json) as z.core.JSONSchema.JSONSchema, { registry: z.registry() });
    return fieldPathsOf(zodSchema, "event.data");
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Names

/** Why `type` cannot be registered as a custom type, or undefined when it can. */
export function reservedEventTypeReason(type: string): string | undefined {
  if (getBuiltInEventType(type)) return `"${type}" is a built-in event type`;
  if (Object.hasOwn(systemEventTypes, type)) return `"${type}" is made by Syncline itself (webhook and schedule triggers)`;
  return undefined;
}

/** The example event shown for a custom type and sent by the test-event button. */
export function customExampleEvent(type: string, data: unknown): CloudEvent {
  return {
    specversion: "1.0",
    id: `example-${type}`,
    source: "https://example.com",
    type,
    subject: "example-key",
    time: "2026-03-12T09:30:00Z",
    data,
  };
}

// ---------------------------------------------------------------------------------------------
// The registry

export interface EventSchemaRegistry {
  /**
   * Issues with `data` for an event of `type` (empty: valid). An unknown type is one issue at
   * `type`. Throws SchemaRegistryUnavailableError when a custom type would have to be looked up
   * and the database cannot be read.
   */
  validate(type: string, data: unknown): Promise<SchemaIssue[]>;
  /**
   * The same answer without waiting, when no database read is needed (built-in and system types,
   * custom types while the cache is fresh); undefined otherwise: then ask `validate`.
   */
  validateKnown(type: string, data: unknown): SchemaIssue[] | undefined;
  /** Forgets cached custom types (after a change in this process). */
  invalidate(): void;
}

export interface EventSchemaRegistryOptions {
  /** Called on each refresh, so the client can be created lazily. */
  db: () => PrismaClient;
  /** How long custom types are cached. */
  ttlMs?: number;
  /** How long to wait before asking the database again after a failed refresh. */
  retryAfterFailureMs?: number;
  now?: () => number;
}

interface CustomType {
  updatedAt: number;
  jsonSchema: unknown;
  compiled?: CompiledSchema;
}

const DEFAULT_SCHEMA_CACHE_TTL_MS = 5_000;

export function createEventSchemaRegistry(options: EventSchemaRegistryOptions): EventSchemaRegistry {
  const ttlMs = options.ttlMs ?? DEFAULT_SCHEMA_CACHE_TTL_MS;
  const retryAfterFailureMs = options.retryAfterFailureMs ?? 1_000;
  const now = options.now ?? Date.now;
  let types: Map<string, CustomType> | undefined;
  let freshUntil = 0;
  let loading: Promise<Map<string, CustomType>> | undefined;
  let generation = 0;

  async function load(): Promise<Map<string, CustomType>> {
    const started = generation;
    // All custom types at once: there are few, and one query answers unknown types too.
    const rows = await options.db().eventType.findMany({ select: { type: true, jsonSchema: true, updatedAt: true } });
    const next = new Map<string, CustomType>();
    for (const row of rows) {
      const previous = types?.get(row.type);
      const updatedAt = row.updatedAt.getTime();
      // Compiling is the expensive part; keep what an unchanged row already compiled to.
      next.set(row.type, previous && previous.updatedAt === updatedAt ? previous : { updatedAt, jsonSchema: row.jsonSchema });
    }
    // An invalidate() while we were reading means our rows may predate the change: don't cache them as fresh.
    if (started === generation) {
      types = next;
      freshUntil = now() + ttlMs;
    }
    return next;
  }

  async function customTypes(): Promise<Map<string, CustomType>> {
    if (types && now() < freshUntil) return types;
    loading ??= load().finally(() => {
      loading = undefined;
    });
    try {
      return await loading;
    } catch (error) {
      // A database hiccup should not turn every custom event into a 503 while we still know the types.
      if (types) {
        // Prisma's messages quote the calling code first; the last line is the reason.
        const reason = String((error as Error).message).trim().split("\n").at(-1);
        console.warn(`[syncline] could not refresh custom event types, using the cached ones: ${reason}`);
        freshUntil = now() + retryAfterFailureMs;
        return types;
      }
      throw new SchemaRegistryUnavailableError({ cause: error });
    }
  }

  function codeTypeIssues(type: string, data: unknown): SchemaIssue[] | undefined {
    const builtIn = getBuiltInEventType(type);
    if (builtIn) return schemaIssues(builtIn.data, data, "data");
    if (Object.hasOwn(systemEventTypes, type)) {
      return [{ path: "type", message: `"${type}" events are made by Syncline itself and cannot be sent` }];
    }
    return undefined;
  }

  function customTypeIssues(known: Map<string, CustomType>, type: string, data: unknown): SchemaIssue[] {
    const custom = known.get(type);
    if (!custom) return [{ path: "type", message: `unknown event type "${type}" (register it under Event types)` }];
    custom.compiled ??= compileJsonSchema(custom.jsonSchema);
    if (!custom.compiled.ok) {
      const reason = custom.compiled.issues[0];
      return [{ path: "type", message: `the registered schema of "${type}" cannot be used (${reason?.path ? `${reason.path}: ` : ""}${reason?.message}); fix it under Event types` }];
    }
    return schemaIssues(custom.compiled.schema, data, "data");
  }

  return {
    async validate(type, data) {
      return codeTypeIssues(type, data) ?? customTypeIssues(await customTypes(), type, data);
    },
    validateKnown(type, data) {
      const inCode = codeTypeIssues(type, data);
      if (inCode) return inCode;
      return types && now() < freshUntil ? customTypeIssues(types, type, data) : undefined;
    },
    invalidate() {
      generation++;
      types = undefined;
      freshUntil = 0;
    },
  };
}

// The process-wide registry over db(). On globalThis so Next dev's module re-evaluation keeps one cache.
const SHARED = Symbol.for("syncline.events.schemaRegistry");

export function eventSchemaRegistry(): EventSchemaRegistry {
  const g = globalThis as typeof globalThis & { [SHARED]?: EventSchemaRegistry };
  g[SHARED] ??= createEventSchemaRegistry({ db });
  return g[SHARED];
}
