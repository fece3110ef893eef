import "server-only";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import { db } from "@/server/db/client";
import {
  FlowHasProblemsError,
  FlowNotFoundError,
  FlowNotPublishedError,
  FlowVersionNotFoundError,
  RevisionConflictError,
} from "@/server/flows/flow-errors";

export async function createTRPCContext(opts: { headers: Headers }) {
  return { db: db(), headers: opts.headers };
}
export type TRPCContext = Awaited<ReturnType<typeof createTRPCContext>>;

const t = initTRPC.context<TRPCContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
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

/** Turns the flow store's domain errors into tRPC errors with the right code and a clear message. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof FlowNotFoundError || cause instanceof FlowVersionNotFoundError) {
      throw new TRPCError({ code: "NOT_FOUND", message: cause.message, cause });
    }
    if (cause instanceof RevisionConflictError) throw new TRPCError({ code: "CONFLICT", message: cause.message, cause });
    if (cause instanceof FlowNotPublishedError) throw new TRPCError({ code: "PRECONDITION_FAILED", message: cause.message, cause });
    if (cause instanceof FlowHasProblemsError) {
      throw new TRPCError({ code: "PRECONDITION_FAILED", message: cause.message, cause });
    }
  }
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
/**
 * The UI's procedures. Syncline is self-hosted for one team; the UI is as open as the network it
 * is served on (see README "Security"), while the automation HTTP API requires an API key.
 */
export const publicProcedure = t.procedure.use(domainErrors);
