import "server-only";
import { Prisma, type PrismaClient } from "@/server/db/generated/client";

// Outside system health (docs/decisions/0026-outside-system-health.md): one mechanism for every
// outside system an action node reaches — a sales channel, or the RabbitMQ broker / AWS bus /
// Event Grid topic behind a credential. A node type opts in by declaring which system a step uses
// (`outsideSystem` in its executor, server/nodes/define-executor.ts); after each call the step's
// outcome is recorded here: a success marks the system up, an outage sign (TransientError with
// systemDown) marks it down from that moment. While a system is down the runtime keeps retrying the
// step (the probe) and holds the key's later events in order (docs/guarantees.md §2); the first
// success clears it. Health lives on the system's own row (Channel or Credential) so the pages
// that list them show it without a join.

type Db = PrismaClient | Prisma.TransactionClient;

/** Which outside system a step reaches: a channel, or the system behind a credential. */
export type OutsideSystemRef = { kind: "channel"; id: string } | { kind: "credential"; id: string };

const TABLES: Record<OutsideSystemRef["kind"], Prisma.Sql> = {
  channel: Prisma.raw(`"Channel"`),
  credential: Prisma.raw(`"Credential"`),
};

// Raw updates: health is not an edit, so it must not move the row's updatedAt (shown as "updated").
/** How stale "last success" may get on a system that keeps answering: successes within it write nothing. */
export const SUCCESS_REFRESH_MS = 10_000;

/**
 * A call to the system succeeded: it is up. Written only when it changes what the pages show — the
 * system was down or its last call failed, it never answered before, or the last recorded success
 * is older than SUCCESS_REFRESH_MS — so a busy flow does not write the row once per event.
 */
export async function recordOutsideSuccess(db: Db, system: OutsideSystemRef, at = new Date()): Promise<void> {
  const staleBefore = new Date(at.getTime() - SUCCESS_REFRESH_MS);
  await db.$executeRaw`UPDATE ${TABLES[system.kind]} SET "lastSuccessAt" = ${at}, "downSince" = NULL
    WHERE id = ${system.id}
      AND ("downSince" IS NOT NULL OR "lastSuccessAt" IS NULL OR "lastSuccessAt" < ${staleBefore}
           OR ("lastErrorAt" IS NOT NULL AND "lastErrorAt" >= "lastSuccessAt"))`;
}

/**
 * A call to the system failed. `down`: it looks like an outage (the runtime holds the key's events),
 * so downSince is set unless it already is.
 */
export async function recordOutsideFailure(
  db: Db,
  system: OutsideSystemRef,
  message: string,
  options: { down: boolean; at?: Date },
): Promise<void> {
  const at = options.at ?? new Date();
  const lastError = message.length > 2000 ? `${message.slice(0, 1997)}...` : message;
  if (options.down) {
    await db.$executeRaw`UPDATE ${TABLES[system.kind]} SET "lastErrorAt" = ${at}, "lastError" = ${lastError}, "downSince" = COALESCE("downSince", ${at}) WHERE id = ${system.id}`;
  } else {
    await db.$executeRaw`UPDATE ${TABLES[system.kind]} SET "lastErrorAt" = ${at}, "lastError" = ${lastError} WHERE id = ${system.id}`;
  }
}

export type OutsideSystemStatus = "unknown" | "healthy" | "holding" | "error";

export interface HealthFields {
  lastSuccessAt: Date | null;
  lastErrorAt: Date | null;
  downSince: Date | null;
}

export function outsideSystemStatus(row: HealthFields): OutsideSystemStatus {
  if (row.downSince) return "holding";
  if (row.lastErrorAt && (!row.lastSuccessAt || row.lastErrorAt > row.lastSuccessAt)) return "error";
  if (row.lastSuccessAt) return "healthy";
  return "unknown";
}

/**
 * Held events per system id: the held events of flow versions whose graph names the system's id
 * (a channel id or a credential id in a node's config). Approximate: a flow that uses two systems
 * counts its held events for both.
 */
export async function heldEventsBySystem(db: Db, systemIds: string[]): Promise<Map<string, number>> {
  const held = new Map<string, number>();
  if (systemIds.length === 0) return held;
  const groups = await db.heldEvent.groupBy({ by: ["flowId", "flowVersion"], _count: { _all: true } });
  if (groups.length === 0) return held;
  const versions = await db.flowVersion.findMany({
    where: { OR: groups.map((g) => ({ flowId: g.flowId, version: g.flowVersion })) },
    select: { flowId: true, version: true, document: true },
  });
  const docs = new Map(versions.map((v) => [`${v.flowId}@${v.version}`, JSON.stringify(v.document)]));
  for (const group of groups) {
    const doc = docs.get(`${group.flowId}@${group.flowVersion}`);
    if (!doc) continue;
    for (const id of systemIds) {
      if (doc.includes(`"${id}"`)) held.set(id, (held.get(id) ?? 0) + group._count._all);
    }
  }
  return held;
}
