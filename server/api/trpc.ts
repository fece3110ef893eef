import "server-only";
import { userMessage } from "../validation/user-words";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import * as z from "zod";
import { ZodError } from "zod";
import { db } from "@/server/db/client";
import type { PrismaClient } from "@/server/db/generated/client";
import { ConflictError, InvalidInputError, NotFoundError, UnprocessableError } from "@/server/domain-errors";
import { FlowHasProblemsError } from "@/server/flows/flow-errors";
import { sessionFromHeaders, type SignedInUser } from "@/server/auth/session";
import { hasRole, type Role } from "@/server/auth/roles";
import { UserInputError } from "@/server/auth/users";
import { refuseUnsafeTrpcInput } from "./input-safety-middleware";
import { internalErrorMessage, reportInternalError } from "./internal-error-report";

export async function createTRPCContext(opts: { headers: Headers; db?: PrismaClient }) {
  const prisma = opts.db ?? db();
  return { db: prisma, headers: opts.headers, user: await sessionFromHeaders(prisma, opts.headers) };
}
export type TRPCContext = Awaited<ReturnType<typeof createTRPCContext>>;

/** What a procedure declares: the weakest role that may call it, or "anonymous". */
export interface ProcedureMeta {
  role: Role | "anonymous";
}

const t = initTRPC
  .context<TRPCContext>()
  .meta<ProcedureMeta>()
  .create({
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
          // Field-level messages for forms, in the user's words: { formErrors, fieldErrors }.
          zodError: cause instanceof ZodError ? z.flattenError(cause, (issue) => userMessage(issue)) : null,
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
    if (cause instanceof UserInputError) throw new TRPCError({ code: "BAD_REQUEST", message: cause.message, cause });
  }
  return result;
});

/** Each issue keeps its dotted path as one key (`settings.url`), the way the forms look fields up. */
function issuesAsZodError(issues: InvalidInputError["issues"]): ZodError {
  return new z.ZodRealError(issues.map((i) => ({ code: "custom" as const, path: i.path ? [i.path] : [], message: i.message, input: undefined })));
}

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const createMiddleware = t.middleware;

/**
 * The one place tRPC checks who is calling: no session is UNAUTHORIZED, a role weaker than the
 * procedure declares is FORBIDDEN. It runs before input parsing, so nothing about the input
 * leaks to a caller who may not call the procedure.
 */
function requireRole(role: Role) {
  return t.procedure
    .meta({ role })
    .use(({ ctx, next }) => {
      if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
      if (!hasRole(ctx.user.role, role)) {
        throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${role} role or higher; you are ${ctx.user.role}.` });
      }
      const user = ctx.user as SignedInUser;
      return next({ ctx: { ...ctx, user, actor: { id: user.id, label: user.email } } });
    })
    .use(refuseUnsafeTrpcInput)
    .use(domainErrors);
}

// Every procedure starts from one of these; there is deliberately no role-less builder, so a new
// procedure cannot forget to say who may call it (server/api/procedure-roles.test.ts checks them all).
/** Reads everything except secrets. */
export const viewerProcedure = requireRole("viewer");
/** Flows, event types, redrive/discard dead letters, test events. */
export const editorProcedure = requireRole("editor");
/** Users, API keys, credentials, channels. */
export const adminProcedure = requireRole("admin");
/** Owners and admins. */
export const ownerProcedure = requireRole("owner");
/** Only for what must work before sign-in (e.g. whether setup is needed). */
export const anonymousProcedure = t.procedure.meta({ role: "anonymous" }).use(refuseUnsafeTrpcInput).use(domainErrors);
