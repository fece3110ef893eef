import "server-only";
import * as z from "zod";
import { adminProcedure, createTRPCRouter } from "@/server/api/trpc";
import { AUDIT_ACTIONS, listAudit, type AuditAction } from "@/server/audit/audit-log";

export const auditRouter = createTRPCRouter({
  list: adminProcedure
    .input(
      z.object({
        action: z.enum(AUDIT_ACTIONS as [AuditAction, ...AuditAction[]]).optional(),
        actorId: z.string().max(200).optional(),
        targetType: z.enum(["flow", "deadLetter", "credential", "channel", "apiKey", "user", "invite"]).optional(),
        cursor: z.string().regex(/^\d+$/, "Not a page cursor").optional(),
        limit: z.number().int().min(1).max(200).optional(),
      }),
    )
    .query(({ ctx, input }) => listAudit(ctx.db, input)),
  /** Who can be picked in the actor filter. */
  actors: adminProcedure.query(async ({ ctx }) => {
    const rows = await ctx.db.auditEntry.findMany({ distinct: ["actorId"], select: { actorId: true, actorLabel: true }, orderBy: { actorId: "asc" } });
    return rows.map((r) => ({ id: r.actorId, label: r.actorLabel }));
  }),
});
