import { TRPCError } from "@trpc/server";

/** The error a promise rejects with; fails the test when it resolves instead. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure");
}

/** The TRPCError a procedure call fails with; anything else (or success) fails the test. */
export async function trpcError(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await failure(promise);
  if (error instanceof TRPCError) return error;
  throw error;
}
