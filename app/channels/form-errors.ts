import { TRPCClientError } from "@trpc/client";

/** Field-level messages of a failed tRPC call, keyed as the router names them (`secret.apiKey`, `settings.url`, `name`). */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof TRPCClientError)) return {};
  const data = error.data as { zodError?: { fieldErrors: Record<string, string[] | undefined> } | null } | undefined;
  const out: Record<string, string> = {};
  for (const [field, messages] of Object.entries(data?.zodError?.fieldErrors ?? {})) {
    if (messages?.[0]) out[field] = messages[0];
  }
  return out;
}
