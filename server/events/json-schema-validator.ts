import "server-only";
// The file name in full: the worker bundle leaves packages to Node, and ajv has no exports map.
import Ajv2020 from "ajv/dist/2020.js";
import AjvDraft07, { type ErrorObject, type ValidateFunction } from "ajv";
import type { RegExpEngine } from "ajv/dist/types";
import addFormats from "ajv-formats";
import { RE2JS } from "re2js";

// Custom event types are checked with ajv, the reference JSON Schema validator (exact `oneOf`,
// `if`/`then`, `not`, `$ref`, formats). Two guards keep one hostile schema from freezing the web
// server's event loop, which validates every ingested event:
// - `pattern` and `patternProperties` run on RE2JS (linear time) instead of backtracking RegExp,
//   so `"^(a|a)+$"` costs the same as `"^a+$"`;
// - a string longer than MAX_PATTERN_INPUT_LENGTH is not tested against a pattern at all (it fails
//   with a message saying so), which bounds the cost of each test.
// Event bodies are already capped in size and depth at ingest, so a validation is bounded too.

export const MAX_PATTERN_INPUT_LENGTH = 10_000;

export interface JsonSchemaIssue {
  /** Path segments inside the validated value. */
  path: string[];
  message: string;
}

/** Why RE2 cannot compile `pattern` (backreferences, lookaround, bad syntax), or null. */
export function linearPatternProblem(pattern: string): string | null {
  try {
    RE2JS.compile(RE2JS.translateRegExp(pattern));
    return null;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `is not a supported regular expression (${reason}; backreferences and lookaround are not available)`;
  }
}

const linearRegExp: RegExpEngine = Object.assign(linearRegExpFor, {
  // Only used when ajv writes standalone validation code, which Syncline does not.
  code: "linearRegExp",
});

function linearRegExpFor(pattern: string): { test: (input: string) => boolean; toString: () => string } {
  const compiled = RE2JS.compile(RE2JS.translateRegExp(pattern));
  return {
    test: (input) => input.length <= MAX_PATTERN_INPUT_LENGTH && compiled.matcher(input).find(),
    // ajv shares compiled patterns by this key: without it every pattern would reuse the first.
    toString: () => `/${pattern}/`,
  };
}

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-0[4-7]\/schema#?$/;

/**
 * Compiles a JSON Schema (2020-12 by default; draft-07 when its `$schema` says so). Throws ajv's
 * error when the schema cannot be compiled (e.g. an unresolvable `$ref`).
 */
export function compileJsonSchemaValidator(schema: unknown): ValidateFunction {
  const options = { strict: false, allErrors: true, code: { regExp: linearRegExp } } as const;
  const draft07 = typeof schema === "object" && schema !== null && typeof (schema as { $schema?: unknown }).$schema === "string" && DRAFT_07.test((schema as { $schema: string }).$schema);
  // A fresh instance per schema: ajv keeps every `$id` it has seen, and two types may reuse one.
  const ajv = draft07 ? new AjvDraft07(options) : new Ajv2020(options);
  addFormats(ajv);
  return ajv.compile(schema as object);
}

function decodePointer(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer.slice(1).split("/").map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function valueAt(root: unknown, path: string[]): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function describe(error: ErrorObject, value: unknown): JsonSchemaIssue {
  const path = decodePointer(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return { path: [...path, String(params.missingProperty)], message: "required" };
    case "additionalProperties":
      return { path, message: `unknown property "${String(params.additionalProperty)}" (not allowed by the schema)` };
    case "enum":
      return { path, message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` };
    case "pattern": {
      const text = valueAt(value, path);
      if (typeof text === "string" && text.length > MAX_PATTERN_INPUT_LENGTH) {
        return { path, message: `is ${text.length.toLocaleString("en-US")} characters long; at most ${MAX_PATTERN_INPUT_LENGTH.toLocaleString("en-US")} can be checked against the pattern ${String(params.pattern)}` };
      }
      return { path, message: `must match the pattern ${String(params.pattern)}` };
    }
    default:
      return { path, message: error.message ?? `fails "${error.keyword}"` };
  }
}

/** Issues with `value` (empty: valid). */
export function jsonSchemaIssues(validate: ValidateFunction, value: unknown): JsonSchemaIssue[] {
  if (validate(value)) return [];
  const seen = new Set<string>();
  const issues: JsonSchemaIssue[] = [];
  for (const error of validate.errors ?? []) {
    const issue = describe(error, value);
    const key = `${issue.path.join("\u0000")}\u0001${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}
