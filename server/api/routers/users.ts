import "server-only";
import * as z from "zod";
import { TRPCError } from "@trpc/server";
import { adminProcedure, anonymousProcedure, createTRPCRouter, viewerProcedure } from "@/server/api/trpc";
import { recordAudit } from "@/server/audit/audit-log";
import { hasRole, roleRank, roleSchema, type Role } from "@/server/auth/roles";
import {
  acceptInvite,
  changeRole,
  createFirstOwner,
  createInvite,
  findOpenInvite,
  hasAnyUser,
  listUsers,
  newAccountSchema,
  passwordSchema,
  revokeInvite,
  setDeactivated,
} from "@/server/auth/users";

const userId = z.object({ id: z.string().min(1).max(200) });

/** An admin manages people up to their own rank: only owners make or change owners. */
function assertMayAssign(actorRole: Role, role: string) {
  if (!hasRole(actorRole, roleSchema.catch("owner").parse(role))) {
    throw new TRPCError({ code: "FORBIDDEN", message: `Only an owner can give or change the ${role} role.` });
  }
}

export const usersRouter = createTRPCRouter({
  /** Before sign-in: whether the setup page still has to create the owner. */
  setupNeeded: anonymousProcedure.query(async ({ ctx }) => ({ setupNeeded: !(await hasAnyUser(ctx.db)) })),

  /** The setup page: creates the first owner; refused once any account exists. */
  setup: anonymousProcedure.input(newAccountSchema).mutation(async ({ ctx, input }) => {
    const owner = await createFirstOwner(ctx.db, input);
    await recordAudit(ctx.db, { id: owner.id, label: owner.email }, "user.joined", { type: "user", id: owner.id }, { role: "owner", via: "setup" });
    return { email: owner.email };
  }),

  /** The invitation page, before sign-in: which email and role the link is for. */
  invite: anonymousProcedure.input(z.object({ token: z.string().min(1).max(200) })).query(async ({ ctx, input }) => {
    const invite = await findOpenInvite(ctx.db, input.token);
    return invite ? { email: invite.email, role: invite.role } : null;
  }),

  acceptInvite: anonymousProcedure
    .input(z.object({ token: z.string().min(1).max(200), name: newAccountSchema.shape.name, password: passwordSchema }))
    .mutation(async ({ ctx, input }) => {
      const user = await acceptInvite(ctx.db, input.token, input);
      await recordAudit(ctx.db, { id: user.id, label: user.email }, "user.joined", { type: "user", id: user.id }, { role: user.role, via: "invite" });
      return { email: user.email };
    }),

  me: viewerProcedure.query(({ ctx }) => ctx.user),

  list: adminProcedure.query(({ ctx }) => listUsers(ctx.db)),

  /** Returns the token once; the link is `/invite/<token>`. */
  createInvite: adminProcedure
    .input(z.object({ email: z.email("Enter a valid email address.").max(200), role: roleSchema }))
    .mutation(async ({ ctx, input }) => {
      assertMayAssign(ctx.user.role, input.role);
      const invite = await createInvite(ctx.db, { email: input.email, role: input.role, invitedById: ctx.user.id });
      await recordAudit(ctx.db, ctx.actor, "user.invited", { type: "invite", id: invite.id }, { email: invite.email, role: input.role });
      return invite;
    }),

  revokeInvite: adminProcedure.input(userId).mutation(async ({ ctx, input }) => {
    await revokeInvite(ctx.db, input.id);
  }),

  changeRole: adminProcedure.input(userId.extend({ role: roleSchema })).mutation(async ({ ctx, input }) => {
    const target = await ctx.db.user.findUnique({ where: { id: input.id }, select: { role: true } });
    if (!target) throw new TRPCError({ code: "NOT_FOUND", message: "There is no such user." });
    assertMayAssign(ctx.user.role, target.role);
    assertMayAssign(ctx.user.role, input.role);
    const { previous, email } = await changeRole(ctx.db, input.id, input.role);
    await recordAudit(ctx.db, ctx.actor, "user.roleChanged", { type: "user", id: input.id }, { email, from: previous, to: input.role });
  }),

  setDeactivated: adminProcedure.input(userId.extend({ deactivated: z.boolean() })).mutation(async ({ ctx, input }) => {
    if (input.id === ctx.user.id) throw new TRPCError({ code: "BAD_REQUEST", message: "You cannot deactivate your own account." });
    const target = await ctx.db.user.findUnique({ where: { id: input.id }, select: { role: true } });
    if (!target) throw new TRPCError({ code: "NOT_FOUND", message: "There is no such user." });
    if (roleRank(ctx.user.role) < roleRank(roleSchema.catch("owner").parse(target.role))) {
      throw new TRPCError({ code: "FORBIDDEN", message: "Only an owner can deactivate an owner." });
    }
    const { email } = await setDeactivated(ctx.db, input.id, input.deactivated);
    await recordAudit(ctx.db, ctx.actor, input.deactivated ? "user.deactivated" : "user.reactivated", { type: "user", id: input.id }, { email });
  }),
});
