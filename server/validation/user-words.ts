import * as z from "zod";
import english from "zod/v4/locales/en.js";

// One mapping from zod issues to messages a person reads: the field's label (its `.meta({ title })`,
// else its key in words) followed by what is wrong, "Timeout (ms) must be at least 100" instead of
// "timeoutMs: Too small: expected number to be >=100". A message the schema's author wrote
// ("enter a full http:// or https:// URL") is kept and put after the label. Used by validateFlow
// (the problems panel and publish), the editor's config form and the tRPC error formatter (forms
// and dialogs), so every screen words the same issue the same way.

type Issue = z.core.$ZodIssue;

/**
 * zod's own English wording for an issue, to tell it apart from a message the schema's author wrote.
 * Imported from its own file: the `locales` namespace of zod would bring all of zod's languages into the editor's bundle
 * (docs/decisions/0033-editor-route-javascript.md).
 */
const englishMessage = english().localeError;

function isZodsOwnMessage(issue: Issue): boolean {
  // The finalised issue no longer carries its input, so "received …" cannot be recomputed.
  if (issue.code === "invalid_type") return issue.message.startsWith("Invalid input: expected ");
  const own = englishMessage(issue as never);
  const text = typeof own === "string" ? own : own?.message;
  return text === issue.message;
}

const plural = (n: number | bigint, one: string, many = `${one}s`) => `${n} ${Number(n) === 1 ? one : many}`;

const typeWords: Record<string, string> = {
  number: "must be a number",
  int: "must be a whole number",
  string: "must be text",
  boolean: "must be yes or no",
  array: "must be a list",
  object: "must be a group of fields",
  date: "must be a date",
};

const formatWords: Record<string, string> = {
  email: "must be an email address",
  url: "must be a full URL, such as https://example.com",
  uuid: "must be a UUID",
  regex: "has the wrong format",
  datetime: "must be a date and time, such as 2026-01-31T12:00:00Z",
  date: "must be a date, such as 2026-01-31",
};

/** What is wrong, as the rest of a sentence whose subject is the field: "must be at least 100". */
function issuePredicate(issue: Issue): string {
  switch (issue.code) {
    case "invalid_type":
      if (issue.message.endsWith("received undefined")) return "is required";
      return typeWords[issue.expected] ?? `must be ${issue.expected}`;
    case "too_small": {
      const min = issue.minimum;
      if (issue.origin === "string") return Number(min) <= 1 ? "cannot be empty" : `must be at least ${plural(min, "character")}`;
      if (issue.origin === "array" || issue.origin === "set") return Number(min) <= 1 ? "needs at least one item" : `needs at least ${plural(min, "item")}`;
      return issue.inclusive === false ? `must be more than ${min}` : `must be at least ${min}`;
    }
    case "too_big": {
      const max = issue.maximum;
      if (issue.origin === "string") return `must be at most ${plural(max, "character")}`;
      if (issue.origin === "array" || issue.origin === "set") return `can have at most ${plural(max, "item")}`;
      return issue.inclusive === false ? `must be less than ${max}` : `must be at most ${max}`;
    }
    case "invalid_format":
      return formatWords[issue.format] ?? `must be a valid ${issue.format}`;
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "invalid_value":
      return issue.values.length === 1 ? `must be ${JSON.stringify(issue.values[0])}` : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "unrecognized_keys":
      return `has unknown ${issue.keys.length === 1 ? "field" : "fields"} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    case "invalid_key":
      return "has an invalid name";
    case "invalid_element":
    case "invalid_union":
      return "has the wrong format";
    default:
      return issue.message;
  }
}

const ACRONYMS = new Set(["url", "id", "api", "json", "http", "sku", "hmac"]);

/** "timeoutMs" → "Timeout ms", "credentialId" → "Credential id": a key in words when no label is declared. */
function keyInWords(key: string): string {
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").trim().toLowerCase();
  const words = spaced.split(" ").map((word) => (ACRONYMS.has(word) ? word.toUpperCase() : word));
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function titleOf(schema: z.core.$ZodType): string | undefined {
  const title = z.globalRegistry.get(schema)?.title;
  return typeof title === "string" ? title : undefined;
}

/** Looks through wrappers (default, optional, nullable, pipe, …) to the schema that has fields. */
function unwrap(schema: z.core.$ZodType): { inner: z.core.$ZodType; title?: string } {
  let current = schema;
  let title = titleOf(current);
  for (let depth = 0; depth < 16; depth++) {
    const def = current._zod.def as { innerType?: z.core.$ZodType; in?: z.core.$ZodType; type: string };
    const next = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
    if (!next) break;
    current = next;
    title ??= titleOf(current);
  }
  return { inner: current, title };
}

function child(schema: z.core.$ZodType, segment: PropertyKey): z.core.$ZodType | undefined {
  const def = schema._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; valueType?: z.core.$ZodType };
  if (def.type === "object" && typeof segment === "string") return def.shape?.[segment];
  if (def.type === "array") return def.element;
  if (def.type === "record") return def.valueType;
  return undefined;
}

/**
 * The label of the field at `path` in `schema`: its declared title, else its key in words. A field
 * inside a list names the list item too ("Cases 2 › Id"). Without a schema, the key in words.
 */
export function fieldLabel(schema: z.core.$ZodType | undefined, path: readonly PropertyKey[]): string | undefined {
  const parts: string[] = [];
  let current = schema;
  for (const segment of path) {
    const next = current ? child(unwrap(current).inner, segment) : undefined;
    const isRecordKey = current ? (unwrap(current).inner._zod.def as { type: string }).type === "record" : false;
    if (typeof segment === "number") {
      // "Cases" + item 2: the list's label becomes the item's.
      parts.push(`${parts.pop() ?? "Item"} ${segment + 1}`);
    } else if (isRecordKey) {
      // A record's keys are what the user typed (header names): Headers "X-Shop".
      parts.push(`${parts.pop() ?? "Entry"} "${String(segment)}"`);
    } else {
      parts.push((next ? unwrap(next).title : undefined) ?? keyInWords(String(segment)));
    }
    current = next;
  }
  if (parts.length === 0) return undefined;
  // The field's own label, and the list item it sits in when there is one.
  const last = parts[parts.length - 1]!;
  const item = [...parts].reverse().find((p, i) => i > 0 && /\s(\d+|".*")$/.test(p));
  return item && item !== last ? `${item} › ${last}` : last;
}

/** One issue as a sentence: "Timeout (ms) must be at least 100", "URL: enter a full http:// or https:// URL". */
export function userMessage(issue: Issue, schema?: z.core.$ZodType): string {
  const label = fieldLabel(schema, issue.path);
  if (isZodsOwnMessage(issue)) {
    const predicate = issuePredicate(issue);
    return label ? `${label} ${predicate}` : predicate.charAt(0).toUpperCase() + predicate.slice(1);
  }
  // Without a schema (tRPC forms) the message sits next to its field already; a guessed label would be noise.
  return label && schema ? `${label}: ${issue.message}` : issue.message;
}

export interface UserIssue {
  path: PropertyKey[];
  message: string;
}

/** Every issue of a failed parse as a labelled sentence, in zod's order. */
export function userIssues(error: z.ZodError, schema?: z.core.$ZodType): UserIssue[] {
  return error.issues.map((issue) => ({ path: issue.path, message: userMessage(issue, schema) }));
}
