import type { TRPCClientError } from "@trpc/client";

/** The first message per field of a tRPC input error (the error formatter's `zodError`), or undefined. */
export function fieldErrorsOf(error: TRPCClientError<never>): Record<string, string | undefined> | undefined {
  const data = error.data as { zodError?: { fieldErrors?: Record<string, string[] | undefined> } | null } | undefined;
  const fields = data?.zodError?.fieldErrors;
  if (!fields || Object.keys(fields).length === 0) return undefined;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v?.[0]]));
}
