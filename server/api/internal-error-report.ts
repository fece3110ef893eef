import "server-only";
import { randomUUID } from "node:crypto";

// A tRPC INTERNAL_SERVER_ERROR reaches the browser as a generic message with a correlation id;
// the details (often Prisma's invocation text, SQL state, a stack) go to the log under that id,
// where an operator can find them and a client cannot read them.
const reported = new WeakMap<object, string>();

/** The correlation id of `error`, logging its details the first time it is asked for. */
export function reportInternalError(error: Error, path: string | undefined): string {
  const known = reported.get(error);
  if (known) return known;
  const id = randomUUID();
  reported.set(error, id);
  console.error(`[syncline] tRPC ${path ?? "?"} failed (error id ${id}):`, error.cause ?? error);
  return id;
}

export function internalErrorMessage(id: string): string {
  return `Something went wrong on our side (error id ${id}). The details were logged.`;
}
