import * as z from "zod";

// One check for every boundary (HTTP bodies, route params and queries, ingest, flow import, tRPC
// inputs): text Postgres cannot store or that is not valid Unicode, and JSON nested deeper than
// any real payload. Postgres refuses U+0000 in text and jsonb, and an unpaired surrogate cannot be
// encoded as UTF-8; accepted, either one fails later — in the worker, on every retry — instead
// of as a 400 that names the field now. The depth cap keeps recursive validators and
// serialisers (zod, Prisma, JSON.stringify) from overflowing the stack on hostile nesting.

export const MAX_INPUT_DEPTH = 64;
/** Enough to point at the problems; a payload full of them is not listed in full. */
const MAX_REPORTED = 20;

export interface UnsafeInputIssue {
  path: (string | number)[];
  message: string;
}

// In Unicode mode a well-formed surrogate pair is one code point, so only lone halves match.
const LONE_SURROGATE = /\p{Cs}/u;

/** What is wrong with a piece of text, or null. */
function unsafeTextProblem(text: string): string | null {
  if (text.includes("\u0000")) return "contains a NUL character (U+0000), which cannot be stored";
  if (LONE_SURROGATE.test(text)) return "contains invalid Unicode (an unpaired surrogate); send UTF-8 text";
  return null;
}

/** Every NUL, unpaired surrogate (in values and property names) and over-deep nesting in `value`. */
export function unsafeInputIssues(value: unknown, maxDepth = MAX_INPUT_DEPTH): UnsafeInputIssue[] {
  const issues: UnsafeInputIssue[] = [];
  // One path, pushed and popped as the walk goes, copied only into an issue: every event ingested
  // passes here, and a path array per visited value showed in the ingest profile (docs/decisions/0027).
  const path: (string | number)[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (issues.length >= MAX_REPORTED) return;
    if (typeof node === "string") {
      const problem = unsafeTextProblem(node);
      if (problem) issues.push({ path: path.slice(), message: problem });
      return;
    }
    if (node === null || typeof node !== "object") return;
    if (depth >= maxDepth) {
      issues.push({ path: path.slice(), message: `is nested more than ${maxDepth} levels deep` });
      return;
    }
    if (Array.isArray(node)) {
      for (let index = 0; index < node.length; index++) {
        path.push(index);
        visit(node[index], depth + 1);
        path.pop();
      }
      return;
    }
    // Dates, Maps and the like (superjson inputs) hold no user text worth checking.
    const prototype = Object.getPrototypeOf(node);
    if (prototype !== Object.prototype && prototype !== null) return;
    for (const key in node) {
      if (!Object.hasOwn(node, key)) continue;
      path.push(key);
      const keyProblem = unsafeTextProblem(key);
      if (keyProblem) issues.push({ path: path.slice(), message: `the property name ${keyProblem}` });
      else visit((node as Record<string, unknown>)[key], depth + 1);
      path.pop();
    }
  };
  visit(value, 0);
  return issues;
}

/** The refinement itself, for `.superRefine(refuseUnsafeInput)` on any schema. */
function refuseUnsafeInput(value: unknown, ctx: z.RefinementCtx): void {
  for (const issue of unsafeInputIssues(value)) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message, input: value });
}

/** Accepts anything the refinement accepts: put it in front of a schema with `.pipe(schema)`. */
export const safeInputSchema = z.unknown().superRefine(refuseUnsafeInput);
