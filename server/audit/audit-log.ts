import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";

// Who did what to what: publishing flow versions, live test runs (they call outside systems), redriving or discarding dead letters, and every
// change to credentials, channels, API keys and users. Written by the procedure or route that did
// it, right after it succeeded.

export type AuditAction =
  | "flow.published"
  | "flow.enabled"
  | "flow.disabled"
  | "flow.testedLive"
  | "deadLetter.redriven"
  | "deadLetter.discarded"
  | "credential.created"
  | "credential.updated"
  | "credential.deleted"
  | "channel.created"
  | "channel.updated"
  | "channel.deleted"
  | "source.created"
  | "source.updated"
  | "source.deleted"
  | "apiKey.created"
  | "apiKey.revoked"
  | "user.invited"
  | "user.roleChanged"
  | "user.deactivated"
  | "user.reactivated"
  | "user.joined"
  | "alerts.updated"
  | "alerts.secretRevealed"
  | "alerts.secretRotated"
  | "alerts.removed";

export const AUDIT_ACTIONS: AuditAction[] = [
  "flow.published", "flow.enabled", "flow.disabled", "flow.testedLive", "deadLetter.redriven", "deadLetter.discarded",
  "credential.created", "credential.updated", "credential.deleted",
  "channel.created", "channel.updated", "channel.deleted",
  "source.created", "source.updated", "source.deleted",
  "apiKey.created", "apiKey.revoked",
  "user.invited", "user.roleChanged", "user.deactivated", "user.reactivated", "user.joined",
  "alerts.updated", "alerts.secretRevealed", "alerts.secretRotated", "alerts.removed",
];

export interface Actor {
  id: string;
  label: string;
}

export async function recordAudit(
  prisma: PrismaClient,
  actor: Actor,
  action: AuditAction,
  target: { type: string; id: string },
  detail: Record<string, unknown> = {},
) {
  await prisma.auditEntry.create({
    data: { actorId: actor.id, actorLabel: actor.label, action, targetType: target.type, targetId: target.id, detail: detail as object },
  });
}

export interface AuditFilter {
  action?: AuditAction;
  actorId?: string;
  targetType?: string;
  /** The id of the last entry of the previous page. */
  cursor?: string;
  limit?: number;
}

export async function listAudit(prisma: PrismaClient, filter: AuditFilter) {
  const limit = filter.limit ?? 50;
  const rows = await prisma.auditEntry.findMany({
    where: {
      ...(filter.action ? { action: filter.action } : {}),
      ...(filter.actorId ? { actorId: filter.actorId } : {}),
      ...(filter.targetType ? { targetType: filter.targetType } : {}),
      ...(filter.cursor ? { id: { lt: BigInt(filter.cursor) } } : {}),
    },
    orderBy: { id: "desc" },
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  return {
    entries: page.map((row) => ({ ...row, id: row.id.toString() })),
    nextCursor: rows.length > limit ? page[page.length - 1]!.id.toString() : null,
  };
}
