import "server-only";
import { TRPCError } from "@trpc/server";
import { safeInputSchema } from "@/server/validation/unsafe-input";

// Every tRPC procedure's raw input passes the same check as HTTP bodies and ingest (NUL, unpaired
// surrogates, nesting deeper than 64) before its own zod schema runs; the issues reach forms
// through the error formatter's `zodError`, like any other validation error.
export async function refuseUnsafeTrpcInput<T>(opts: { getRawInput: () => Promise<unknown>; next: () => Promise<T> }): Promise<T> {
  const result = safeInputSchema.safeParse(await opts.getRawInput());
  if (!result.success) {
    throw new TRPCError({ code: "BAD_REQUEST", message: "The input contains text that cannot be used (see the fields).", cause: result.error });
  }
  return opts.next();
}
