import "server-only";
import type { z, ZodType } from "zod";
import { InvalidInputError } from "@/server/domain-errors";
import { zodIssues } from "./api-response";

/**
 * Parses URL query parameters with `schema`; a bad value is a 400 naming the parameter. Empty
 * values count as absent: HTML forms and hand-written URLs send `?flow=&status=` all the time.
 */
export function parseQuery<S extends ZodType>(url: string, schema: S): z.output<S> {
  const params: Record<string, string> = {};
  for (const [name, value] of new URL(url).searchParams) if (value !== "") params[name] = value;
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw new InvalidInputError("The query parameters are not valid.", zodIssues(parsed.error));
  return parsed.data;
}
