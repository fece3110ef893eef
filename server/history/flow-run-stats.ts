import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";

// What the flows list shows next to each flow: its last production run, runs and failures in
// the last 24 hours, and open dead letters. One query for all flows on the page; each part is an
// index range (Run by flowId + startedAt, DeadLetter by flowId + status).

export interface FlowRunStats {
  flowId: string;
  lastRun: { id: string; status: string; startedAt: Date } | null;
  runs24h: number;
  failures24h: number;
  openDeadLetters: number;
}

export async function flowRunStats(db: PrismaClient, flowIds: string[], now: Date = new Date()): Promise<FlowRunStats[]> {
  if (flowIds.length === 0) return [];
  const since = new Date(now.getTime() - 24 * 3600_000);
  const rows = await db.$queryRaw<
    { flowId: string; runId: string | null; status: string | null; startedAt: Date | null; runs: bigint; failures: bigint; dead: bigint }[]
  >`
    SELECT f.id AS "flowId", last.id AS "runId", last.status, last."startedAt",
      (SELECT count(*) FROM "Run" r WHERE r."flowId" = f.id AND r."startedAt" >= ${since} AND NOT r.test) AS runs,
      (SELECT count(*) FROM "Run" r WHERE r."flowId" = f.id AND r."startedAt" >= ${since} AND NOT r.test
         AND r.status IN ('failed', 'dead-lettered')) AS failures,
      (SELECT count(*) FROM "DeadLetter" d WHERE d."flowId" = f.id AND d.status = 'open') AS dead
    FROM unnest(${flowIds}::text[]) AS f(id)
    LEFT JOIN LATERAL (
      SELECT r.id, r.status, r."startedAt" FROM "Run" r WHERE r."flowId" = f.id AND NOT r.test ORDER BY r."startedAt" DESC LIMIT 1
    ) last ON true`;
  return rows.map((r) => ({
    flowId: r.flowId,
    lastRun: r.runId && r.status && r.startedAt ? { id: r.runId, status: r.status, startedAt: r.startedAt } : null,
    runs24h: Number(r.runs),
    failures24h: Number(r.failures),
    openDeadLetters: Number(r.dead),
  }));
}
