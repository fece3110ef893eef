import "server-only";
import { TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { publicProcedure } from "@/server/api/trpc";
import { ApiError } from "@/server/http-api/api-response";

// The procedure of the run-history and dead-letter routers. While those read models still throw
// ApiError, this maps it to tRPC; once they throw the domain errors (server/domain-errors.ts), the
// domainErrors middleware in trpc.ts does and this module can go.

const codes: Record<number, TRPC_ERROR_CODE_KEY> = { 400: "BAD_REQUEST", 404: "NOT_FOUND", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE" };

/**
 * The history stores report refusals as ApiErrors (the HTTP API's currency); the UI gets the same
 * refusal as the matching tRPC code, with field issues folded into the message it shows.
 */
export const historyProcedure = publicProcedure.use(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof ApiError) {
    const cause = result.error.cause;
    const details = cause.issues?.length ? ` ${cause.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ")}` : "";
    throw new TRPCError({ code: codes[cause.status] ?? "INTERNAL_SERVER_ERROR", message: `${cause.message}${details}`, cause });
  }
  return result;
});

