import "server-only";
import * as z from "zod";
import type { ZodType } from "zod";
import { ConflictError, InvalidInputError, NotFoundError, UnprocessableError } from "@/server/domain-errors";
import { safeInputSchema, unsafeInputIssues } from "@/server/validation/unsafe-input";
import { readBodyBounded } from "./bounded-body";
import type { HttpRequest } from "./http-request";

// The HTTP API's shared plumbing: one error shape, bounded JSON bodies,
// and domain errors mapped to status codes, so no user input ever turns into a 500.

const apiIssueSchema = z.object({
  path: z.string().meta({ description: "Where the problem is, e.g. `nodes.2.config.url` (empty for the whole body)" }),
  message: z.string(),
});
export const apiErrorSchema = z.object({
  error: z.object({ message: z.string(), issues: z.array(apiIssueSchema).optional() }),
});
export type ApiIssue = z.infer<typeof apiIssueSchema>;

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly issues?: ApiIssue[], readonly headers?: Record<string, string>) {
    super(message);
    this.name = "ApiError";
  }
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}) {
  return Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

export function errorResponse(status: number, message: string, issues?: ApiIssue[], headers?: Record<string, string>) {
  return jsonResponse(errorBody(message, issues), status, headers);
}

export function zodIssues(error: z.ZodError, prefix: (string | number)[] = []): ApiIssue[] {
  return error.issues.map((issue) => ({ path: [...prefix, ...issue.path].map(String).join("."), message: issue.message }));
}

const utf8 = new TextDecoder();

/** Reads a JSON body of at most `maxBytes` and parses it with `schema`; throws ApiError 400/413. */
export async function readJsonBody<S extends ZodType>(request: HttpRequest, schema: S, maxBytes = 1_000_000): Promise<z.output<S>> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new ApiError(413, `The body is ${declared} bytes; the limit is ${maxBytes} bytes.`);
  }
  const text = utf8.decode(await readBodyBounded(request, maxBytes));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, `The body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = safeInputSchema.pipe(schema).safeParse(value);
  if (!parsed.success) throw new ApiError(400, "The body does not match the expected shape.", zodIssues(parsed.error));
  return parsed.data;
}

/**
 * Route parameters and the query string, checked like bodies (a NUL in `?subject=` would reach
 * Postgres). A malformed percent-escape arrives undecoded, e.g. `%E0%A4%A`: refused here too.
 */
export function checkParamsAndQuery(request: HttpRequest, params: unknown): void {
  const issues: ApiIssue[] = [];
  for (const [key, value] of Object.entries((params ?? {}) as Record<string, unknown>)) {
    for (const issue of unsafeInputIssues(value)) issues.push({ path: ["params", key, ...issue.path].join("."), message: issue.message });
  }
  // A URL without a query or a percent-escape has nothing more to check: the ingest fast path's
  // POST /api/events, on every event (docs/decisions/0032), spared a URL parse.
  if (issues.length === 0 && !request.url.includes("?") && !request.url.includes("%")) return;
  let url: URL | null = null;
  try {
    url = new URL(request.url);
  } catch {
    // Next has parsed this URL already; nothing to check beyond what it accepted.
  }
  if (url) {
    for (const [key, value] of url.searchParams) {
      for (const text of [key, value]) {
        for (const issue of unsafeInputIssues(text)) issues.push({ path: ["query", key].join("."), message: issue.message });
      }
    }
    for (const segment of url.pathname.split("/")) {
      try {
        decodeURIComponent(segment);
      } catch {
        issues.push({ path: "path", message: `"${segment}" is not a valid percent-encoded path segment` });
      }
    }
  }
  if (issues.length > 0) throw new ApiError(400, "The URL contains characters that cannot be used.", issues);
}

/** An answer before it becomes a Response: what the ingest fast path writes to node's response itself. */
export interface ApiAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** The error body of the API's error shape. */
export function errorBody(message: string, issues?: ApiIssue[]) {
  return { error: { message, ...(issues?.length ? { issues } : {}) } };
}

/** What an error thrown by a handler answers: its status, the API's error shape, its headers. */
export function errorAnswer(error: unknown): ApiAnswer {
  const answer = (status: number, message: string, issues?: ApiIssue[], headers?: Record<string, string>): ApiAnswer => ({ status, body: errorBody(message, issues), headers });
  if (error instanceof ApiError) return answer(error.status, error.message, error.issues, error.headers);
  if (error instanceof NotFoundError) return answer(404, error.message);
  if (error instanceof ConflictError) return answer(409, error.message);
  // The body parsed, but the stored state refuses it (e.g. publishing a flow with problems).
  if (error instanceof UnprocessableError) return answer(422, error.message, error.issues);
  if (error instanceof InvalidInputError) return answer(400, error.message, error.issues);
  console.error("Unexpected API error:", error);
  return answer(500, "Something went wrong on our side. The error was logged.");
}

export function errorToResponse(error: unknown): Response {
  const { status, body, headers } = errorAnswer(error);
  return jsonResponse(body, status, headers);
}
