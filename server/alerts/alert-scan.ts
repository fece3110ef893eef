import "server-only";
import { randomUUID } from "node:crypto";
import type { Prisma, PrismaClient } from "@/server/db/generated/client";
import { ALERT_SETTINGS_ID } from "./alert-settings";

// Turning what the runtime already writes into alerts (docs/decisions/0024-…): new DeadLetter
// rows and channels whose `downSince` is new. One scan at a time in the whole cluster (a
// transaction-level advisory lock; another worker skips its turn), reading after a cursor kept in
// the settings row, so each letter or outage is looked at exactly once. The per-flow (per-channel)
// rate limit lives in AlertThrottle: inside the window an alert is only counted, and the next one
// that goes out says how many were held back ("and 4 more"). Nothing here runs on a run's path.

/** Transaction-level advisory lock key of the alert scan. */
const ALERT_SCAN_LOCK = 847_301;
/**
 * Rows younger than this are left for the next scan: `createdAt` is the inserting transaction's
 * start, so a row can commit after a younger one was already read; the margin covers that.
 */
export const SCAN_SETTLE_MS = 3_000;
const SCAN_LIMIT = 500;

export interface AlertPayload {
  type: "dead-letter.created" | "channel.down";
  timestamp: string;
  data: Record<string, unknown> & { summary: string; suppressed: number };
}

interface Candidate {
  subject: string;
  type: AlertPayload["type"];
  /** Builds the payload once it is known how many alerts of the subject were held back before it. */
  payload: (suppressed: number) => AlertPayload;
}

const more = (n: number) => (n > 0 ? ` (and ${n} more since the last alert)` : "");

/** Scans for new letters and outages and writes the alerts they call for; returns how many were written (null: another scan holds the lock). */
export async function scanForAlerts(db: PrismaClient, options: { now?: Date; publicUrl?: string } = {}): Promise<number | null> {
  const now = options.now ?? new Date();
  const base = options.publicUrl?.replace(/\/$/, "") ?? "";
  // Alerts off (no URL saved): one plain read every round, no transaction or lock.
  if (!(await db.alertSetting.findUnique({ where: { id: ALERT_SETTINGS_ID }, select: { id: true } }))) return 0;
  return db.$transaction(async (tx) => {
    const lock = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${ALERT_SCAN_LOCK}) AS locked`;
    if (!lock[0]?.locked) return null;
    const settings = await tx.alertSetting.findUnique({ where: { id: ALERT_SETTINGS_ID } });
    if (!settings) return 0;
    const horizon = new Date(now.getTime() - SCAN_SETTLE_MS);
    const candidates: Candidate[] = [];
    const cursor: Prisma.AlertSettingUpdateInput = {};

    const letters = await tx.deadLetter.findMany({
      where: {
        createdAt: { lte: horizon },
        OR: [{ createdAt: { gt: settings.deadLetterCursorAt } }, { createdAt: settings.deadLetterCursorAt, id: { gt: settings.deadLetterCursorId } }],
      },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      take: SCAN_LIMIT,
      select: { id: true, flowId: true, flowVersion: true, nodeId: true, orderingKey: true, eventId: true, eventType: true, error: true, runId: true, createdAt: true, heldBehind: true },
    });
    const last = letters.at(-1);
    if (last) Object.assign(cursor, { deadLetterCursorAt: last.createdAt, deadLetterCursorId: last.id });
    if (settings.onDeadLetter) {
      const flows = new Map(
        (await tx.flow.findMany({ where: { id: { in: [...new Set(letters.map((l) => l.flowId))] } }, select: { id: true, name: true } })).map((f) => [f.id, f.name]),
      );
      // Records of held events discarded with their letter are not new failures.
      for (const l of letters.filter((l) => l.heldBehind === null)) {
        const flowName = flows.get(l.flowId) ?? null;
        candidates.push({
          subject: `flow:${l.flowId}`,
          type: "dead-letter.created",
          payload: (suppressed) => ({
            type: "dead-letter.created",
            timestamp: l.createdAt.toISOString(),
            data: {
              summary: `Dead letter in flow "${flowName ?? l.flowId}" for key ${l.orderingKey}${l.nodeId ? ` at step ${l.nodeId}` : ""}: ${l.error}${more(suppressed)}`,
              suppressed,
              flow: { id: l.flowId, name: flowName, version: l.flowVersion },
              key: l.orderingKey,
              node: l.nodeId,
              error: l.error,
              event: { id: l.eventId, type: l.eventType },
              deadLetter: { id: l.id, url: `${base}/dead-letters/${encodeURIComponent(l.id)}` },
              run: l.runId ? { id: l.runId, url: `${base}/runs/${encodeURIComponent(l.runId)}` } : null,
            },
          }),
        });
      }
    }

    const channels = await tx.channel.findMany({
      where: { downSince: { gt: settings.channelCursorAt, lte: horizon } },
      orderBy: { downSince: "asc" },
      take: SCAN_LIMIT,
      select: { id: true, name: true, type: true, downSince: true, lastError: true },
    });
    const lastDown = channels.at(-1)?.downSince;
    if (lastDown) cursor.channelCursorAt = lastDown;
    if (settings.onChannelDown) {
      for (const c of channels) {
        candidates.push({
          subject: `channel:${c.id}`,
          type: "channel.down",
          payload: (suppressed) => ({
            type: "channel.down",
            timestamp: c.downSince!.toISOString(),
            data: {
              summary: `Channel "${c.name}" looks down since ${c.downSince!.toISOString()}${c.lastError ? `: ${c.lastError}` : ""}; its updates are held until it answers again${more(suppressed)}`,
              suppressed,
              channel: { id: c.id, name: c.name, type: c.type, url: `${base}/channels` },
              error: c.lastError,
              downSince: c.downSince!.toISOString(),
            },
          }),
        });
      }
    }

    let written = 0;
    if (candidates.length) {
      const windowMs = settings.minIntervalMinutes * 60_000;
      const subjects = [...new Set(candidates.map((c) => c.subject))];
      const throttles = new Map((await tx.alertThrottle.findMany({ where: { subject: { in: subjects } } })).map((t) => [t.subject, t]));
      const alerts: Prisma.AlertCreateManyInput[] = [];
      for (const candidate of candidates) {
        const throttle = throttles.get(candidate.subject);
        if (throttle && now.getTime() - throttle.lastSentAt.getTime() < windowMs) {
          throttle.suppressed++;
          continue;
        }
        alerts.push({ id: `msg_${randomUUID()}`, type: candidate.type, subject: candidate.subject, payload: candidate.payload(throttle?.suppressed ?? 0) as unknown as Prisma.InputJsonValue, nextAttemptAt: new Date() });
        throttles.set(candidate.subject, { subject: candidate.subject, lastSentAt: now, suppressed: 0 });
      }
      if (alerts.length) await tx.alert.createMany({ data: alerts });
      for (const t of throttles.values()) {
        if (!subjects.includes(t.subject)) continue;
        await tx.alertThrottle.upsert({ where: { subject: t.subject }, create: t, update: { lastSentAt: t.lastSentAt, suppressed: t.suppressed } });
      }
      written = alerts.length;
    }
    if (Object.keys(cursor).length) await tx.alertSetting.update({ where: { id: ALERT_SETTINGS_ID }, data: cursor });
    return written;
  });
}
