// The inside of the expression sandbox: one of these runs in each thread of the pool that
// server/expressions/expression-sandbox.ts keeps warm. Plain JavaScript (not TypeScript) because
// a worker thread loads its file with Node itself, without the test runner's or bundler's loaders.
//
// The pool's heap limit and deadline stop anything this file does not foresee; the guards here
// make the common bombs fail fast with a message that names the function instead:
// - regular expressions run on RE2JS (linear time, no backtracking), so `/^(a|a)+$/` cannot stall;
// - $pad, $join, $split, $replace and `&` refuse to build strings or arrays beyond a cap.
import { parentPort } from "node:worker_threads";
import jsonata from "jsonata";
import { RE2JS } from "re2js";

export const MAX_STRING_LENGTH = 1_000_000;
export const MAX_ARRAY_LENGTH = 100_000;
const MAX_STACK_DEPTH = 500;
const MAX_EXPRESSION_LENGTH = 10_000;
const CACHE_LIMIT = 1_000;

/** An evaluation error with JSONata's shape (code, position, message) so the caller can map it. */
function capError(message, code = "D9001") {
  return { code, position: 0, message };
}

function formatCount(n) {
  return n.toLocaleString("en-US");
}

/**
 * Stands in for RegExp inside JSONata (its `RegexEngine` option): the same `lastIndex` + `exec`
 * protocol, matched by RE2JS. RE2 has no backreferences or lookarounds; such a pattern is an
 * expression error rather than a slow match.
 */
export class LinearRegExp {
  constructor(pattern) {
    const source = pattern instanceof RegExp ? pattern.source : String(pattern);
    const flags = pattern instanceof RegExp ? pattern.flags : "";
    let re2Flags = 0;
    if (flags.includes("i")) re2Flags |= RE2JS.CASE_INSENSITIVE;
    if (flags.includes("m")) re2Flags |= RE2JS.MULTILINE;
    try {
      this.compiled = RE2JS.compile(RE2JS.translateRegExp(source), re2Flags);
    } catch (error) {
      throw capError(`Regular expression /${source}/ is not supported: ${error instanceof Error ? error.message : String(error)} (backreferences and lookarounds are not available)`, "D9002");
    }
    this.source = source;
    this.flags = flags;
    this.lastIndex = 0;
  }

  exec(input) {
    const text = String(input);
    if (this.lastIndex > text.length) {
      this.lastIndex = 0;
      return null;
    }
    const matcher = this.compiled.matcher(text);
    if (!matcher.find(this.lastIndex)) {
      this.lastIndex = 0;
      return null;
    }
    const match = [matcher.group(0)];
    for (let i = 1; i <= matcher.groupCount(); i++) match.push(matcher.group(i) ?? undefined);
    match.index = matcher.start();
    match.input = text;
    this.lastIndex = matcher.end();
    return match;
  }

  test(input) {
    this.lastIndex = 0;
    return this.exec(input) !== null;
  }
}

// JSONata's own implementations, looked up once, so the capped versions only add a size check.
const builtin = {};
for (const name of ["pad", "join", "split", "replace", "string"]) {
  builtin[name] = await jsonata(`$${name}`).evaluate({});
}

function callBuiltin(name, self, args) {
  return builtin[name].implementation.apply(self, args);
}

function cappedPad(str, width, char) {
  if (typeof width === "number" && Math.abs(width) > MAX_STRING_LENGTH) {
    throw capError(`$pad would make a string of ${formatCount(Math.abs(width))} characters; the limit is ${formatCount(MAX_STRING_LENGTH)}`);
  }
  // JSONata pads code point by code point (about 1 s per million characters); without surrogate
  // pairs, code points are UTF-16 units and String's own padding gives the same result at once.
  const padding = char === undefined ? " " : char;
  if (typeof str === "string" && typeof width === "number" && typeof padding === "string" && padding.length > 0 && !SURROGATE.test(str) && !SURROGATE.test(padding)) {
    const target = Math.abs(Math.trunc(width));
    return width < 0 ? str.padStart(target, padding) : str.padEnd(target, padding);
  }
  return callBuiltin("pad", this, [str, width, char]);
}

const SURROGATE = /[\uD800-\uDFFF]/;

function cappedJoin(strs, separator) {
  if (Array.isArray(strs)) {
    if (strs.length > MAX_ARRAY_LENGTH) throw capError(`$join was given ${formatCount(strs.length)} strings; the limit is ${formatCount(MAX_ARRAY_LENGTH)}`);
    const sepLength = typeof separator === "string" ? separator.length : 0;
    let total = 0;
    for (const s of strs) total += (typeof s === "string" ? s.length : 0) + sepLength;
    if (total > MAX_STRING_LENGTH) throw capError(`$join would make a string of ${formatCount(total)} characters; the limit is ${formatCount(MAX_STRING_LENGTH)}`);
  }
  return callBuiltin("join", this, [strs, separator]);
}

async function cappedSplit(str, separator, limit) {
  // Ask for one more piece than allowed: enough to tell "too many" without building them all.
  const bounded = typeof limit === "number" ? Math.min(limit, MAX_ARRAY_LENGTH + 1) : MAX_ARRAY_LENGTH + 1;
  const result = await callBuiltin("split", this, [str, separator, bounded]);
  if (Array.isArray(result) && result.length > MAX_ARRAY_LENGTH && (typeof limit !== "number" || limit > MAX_ARRAY_LENGTH)) {
    throw capError(`$split would make more than ${formatCount(MAX_ARRAY_LENGTH)} pieces`);
  }
  return result;
}

async function cappedReplace(str, pattern, replacement, limit) {
  if (typeof str === "string" && typeof pattern === "string" && typeof replacement === "string" && pattern.length > 0) {
    // Exact for a literal pattern and text: count the occurrences before building anything.
    let count = 0;
    for (let at = str.indexOf(pattern); at !== -1 && (typeof limit !== "number" || count < limit); at = str.indexOf(pattern, at + pattern.length)) count++;
    const length = str.length + count * (replacement.length - pattern.length);
    if (length > MAX_STRING_LENGTH) throw capError(`$replace would make a string of ${formatCount(length)} characters; the limit is ${formatCount(MAX_STRING_LENGTH)}`);
  }
  const result = await callBuiltin("replace", this, [str, pattern, replacement, limit]);
  // A regex or function replacement is checked afterwards; the thread's heap limit bounds the way there.
  if (typeof result === "string" && result.length > MAX_STRING_LENGTH) {
    throw capError(`$replace made a string of ${formatCount(result.length)} characters; the limit is ${formatCount(MAX_STRING_LENGTH)}`);
  }
  return result;
}

const CONCAT_FUNCTION = "__synclineConcat";

function cappedConcat(lhs, rhs) {
  const left = lhs === undefined ? "" : callBuiltin("string", this, [lhs]);
  const right = rhs === undefined ? "" : callBuiltin("string", this, [rhs]);
  if (left.length + right.length > MAX_STRING_LENGTH) {
    throw capError(`"&" would make a string of ${formatCount(left.length + right.length)} characters; the limit is ${formatCount(MAX_STRING_LENGTH)}`);
  }
  return left + right;
}

/**
 * `&` is an operator, not a function, so it cannot be overridden by a binding: rewrite each
 * `a & b` node of the parsed expression into a call of the capped concatenation. JSONata
 * evaluates the tree that `ast()` returns, so the rewrite takes effect.
 */
function rewriteConcatenation(node) {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const item of node) rewriteConcatenation(item);
    return;
  }
  for (const value of Object.values(node)) rewriteConcatenation(value);
  if (node.type === "binary" && node.value === "&") {
    const { lhs, rhs, position } = node;
    delete node.lhs;
    delete node.rhs;
    node.type = "function";
    node.value = "(";
    node.procedure = { type: "variable", value: CONCAT_FUNCTION, position };
    node.arguments = [lhs, rhs];
  }
}

const compiled = new Map();

function compile(expression, timeoutMs) {
  const key = `${timeoutMs}\u0000${expression}`;
  const hit = compiled.get(key);
  if (hit) {
    compiled.delete(key);
    compiled.set(key, hit);
    return hit;
  }
  if (expression.length > MAX_EXPRESSION_LENGTH) throw capError(`Expression is longer than ${formatCount(MAX_EXPRESSION_LENGTH)} characters`, "S9000");
  const result = jsonata(expression, { timeout: timeoutMs, stack: MAX_STACK_DEPTH, sequence: MAX_ARRAY_LENGTH, RegexEngine: LinearRegExp });
  rewriteConcatenation(result.ast());
  result.registerFunction("pad", cappedPad, "<s-ns?:s>");
  result.registerFunction("join", cappedJoin, "<a<s>s?:s>");
  result.registerFunction("split", cappedSplit, "<s-(sf)n?:a<s>>");
  result.registerFunction("replace", cappedReplace, "<s-(sf)(sf)n?:s>");
  result.registerFunction(CONCAT_FUNCTION, cappedConcat, "<xx:s>");
  compiled.set(key, result);
  if (compiled.size > CACHE_LIMIT) compiled.delete(compiled.keys().next().value);
  return result;
}

// JSONata marks result arrays with extra properties and may return functions; only plain JSON
// values cross back to the caller (functions cannot be cloned between threads anyway).
function toPlainValue(value) {
  if (typeof value === "function") return undefined;
  if (Array.isArray(value)) return value.map(toPlainValue).filter((item) => item !== undefined);
  if (value !== null && typeof value === "object") {
    if (value._jsonata_function || value._jsonata_lambda) return undefined;
    const plain = {};
    for (const [key, item] of Object.entries(value)) {
      const converted = toPlainValue(item);
      if (converted !== undefined) plain[key] = converted;
    }
    return plain;
  }
  return value;
}

function describeError(error) {
  const e = typeof error === "object" && error !== null ? error : {};
  return {
    message: typeof e.message === "string" && e.message.length > 0 ? e.message : String(error),
    position: typeof e.position === "number" ? e.position : 0,
    code: typeof e.code === "string" ? e.code : undefined,
  };
}

/** Evaluates one expression; never throws — failures come back as `{ ok: false, error }`. */
export async function evaluateInSandbox({ expression, context, timeoutMs }) {
  try {
    const value = await compile(expression, timeoutMs).evaluate({ event: context.event, steps: context.steps });
    return { ok: true, value: toPlainValue(value) };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

if (parentPort) {
  const port = parentPort;
  port.on("message", async (task) => {
    const result = await evaluateInSandbox(task);
    try {
      port.postMessage({ id: task.id, ...result });
    } catch (error) {
      port.postMessage({ id: task.id, ok: false, error: { message: `Expression result cannot be stored: ${describeError(error).message}`, position: 0 } });
    }
  });
  port.postMessage({ ready: true });
}
