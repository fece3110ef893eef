import "server-only";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import { db } from "@/server/db/client";
import { ConflictError, InvalidInputError, NotFoundError, UnprocessableError } from "@/server/domain-errors";
import { FlowHasProblemsError } from "@/server/flows/flow-errors";
import { refuseUnsafeTrpcInput } from "./input-safety-middleware";
import { internalErrorMessage, reportInternalError } from "./internal-error-report";

export async function createTRPCContext(opts: { headers: Headers }) {
  return { db: db(), headers: opts.headers };
}
export type TRPCContext = Awaited<ReturnType<typeof createTRPCContext>>;

const t = initTRPC.context<TRPCContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error, path }) {
    const cause = error.cause;
    if (error.code === "INTERNAL_SERVER_ERROR") {
      const errorId = reportInternalError(error, path);
      const { stack: _stack, ...data } = shape.data;
      return { ...shape, message: internalErrorMessage(errorId), data: { ...data, errorId, zodError: null, problems: null } };
    }
    return {
      ...shape,
      data: {
        ...shape.data,
        // Field-level messages for forms: { formErrors, fieldErrors }.
        zodError: cause instanceof ZodError ? z.flattenError(cause) : null,
        problems: cause instanceof FlowHasProblemsError ? cause.problems : null,
      },
    };
  },
});

/**
 * Turns domain errors into tRPC errors with the right code. Field issues travel as a ZodError
 * cause, so the error formatter hands forms the same `fieldErrors` as an input validation failure.
 */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof NotFoundError) throw new TRPCError({ code: "NOT_FOUND", message: cause.message, cause });
    if (cause instanceof ConflictError) throw new TRPCError({ code: "CONFLICT", message: cause.message, cause });
    // Publishing refused: the draft's state, not this request's input, is what must change.
    if (cause instanceof UnprocessableError) throw new TRPCError({ code: "PRECONDITION_FAILED", message: cause.message, cause });
    if (cause instanceof InvalidInputError) {
      // Field issues travel twice: as fieldErrors for forms, and in the message for toasts and API callers.
      const details = cause.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
      const message = details ? `${cause.message} ${details}` : cause.message;
      throw new TRPCError({ code: "BAD_REQUEST", message, cause: issuesAsZodError(cause.issues) });
    }
  }
  return result;
});

/** Each issue keeps its dotted path as one key (`settings.url`), the way the forms look fields up. */
function issuesAsZodError(issues: InvalidInputError["issues"]): ZodError {
  return new z.ZodRealError(issues.map((i) => ({ code: "custom" as const, path: i.path ? [i.path] : [], message: i.message, input: undefined })));
}

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
/**
 * The UI's procedures. Syncline is self-hosted for one team; the UI is as open as the network it
 * is served on (see README "Security"), while the automation HTTP API requires an API key.
 */
export const publicProcedure = t.procedure.use(refuseUnsafeTrpcInput).use(domainErrors);
