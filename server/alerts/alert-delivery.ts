import "server-only";
import { Webhook } from "standardwebhooks";
import type { Prisma, PrismaClient } from "@/server/db/generated/client";
import { sendRequest } from "@/server/outbound/outbound-request";
import type { HostResolver } from "@/server/outbound/address-policy";
import { alertTarget, recordDelivery } from "./alert-settings";

// Sending one alert: a POST signed per the Standard Webhooks spec (webhook-id, webhook-timestamp,
// webhook-signature = v1,base64(HMAC-SHA256 of "id.timestamp.body")) through the same outbound
// request as every node (address policy, timeouts, no redirects to forbidden hosts). An alert row
// is claimed with a conditional update, so of several workers exactly one sends it; a failed send
// is retried with backoff and then recorded as failed (README "Alerts").

export const MAX_ALERT_ATTEMPTS = 5;
/** The claim outlives any one send (10 s timeout); a worker that dies mid-send frees it after this. */
const CLAIM_MS = 60_000;
const SEND_TIMEOUT_MS = 10_000;

export interface DeliveryOptions {
  /** SYNCLINE_HTTP_ALLOWLIST entries. */
  allowlist: readonly string[];
  resolve?: HostResolver;
  key?: Buffer;
  /** First retry after this; doubles per attempt (default 5 s: 5, 10, 20, 40 s). */
  retryBaseMs?: number;
}

/** Signs and posts `payload` as alert `id`; resolves with how it went (never throws for a failed delivery). */
export async function postAlert(
  target: { url: string; secret: string },
  id: string,
  payload: unknown,
  options: DeliveryOptions,
): Promise<{ ok: boolean; error?: string }> {
  const body = JSON.stringify(payload);
  const at = new Date();
  const signature = new Webhook(target.secret).sign(id, at, body);
  try {
    const response = await sendRequest({
      method: "POST",
      url: new URL(target.url),
      headers: {
        "content-type": "application/json",
        "user-agent": "Syncline-Alerts/1",
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": signature,
      },
      body,
      timeoutMs: SEND_TIMEOUT_MS,
      allowlist: options.allowlist,
      maxRedirects: 0,
      maxResponseBytes: 4096,
      resolve: options.resolve,
    });
    if (response.status >= 200 && response.status < 300) return { ok: true };
    return { ok: false, error: `The alert URL answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}` };
  } catch (error) {
    return { ok: false, error: `The alert could not be sent: ${(error as Error).message}` };
  }
}

/**
 * Claims the oldest due alert for `workerId`: a conditional update that only one caller can win
 * (it names the attempt count it read). Null when nothing is due or another worker was faster.
 */
async function claimNext(db: PrismaClient, workerId: string, now: Date) {
  const candidate = await db.alert.findFirst({
    where: { status: "pending", nextAttemptAt: { lte: now }, OR: [{ claimedUntil: null }, { claimedUntil: { lt: now } }] },
    orderBy: { createdAt: "asc" },
  });
  if (!candidate) return null;
  const { count } = await db.alert.updateMany({
    where: { id: candidate.id, status: "pending", attempts: candidate.attempts, OR: [{ claimedUntil: null }, { claimedUntil: { lt: now } }] },
    data: { claimedBy: workerId, claimedUntil: new Date(now.getTime() + CLAIM_MS), attempts: { increment: 1 } },
  });
  return count === 1 ? { ...candidate, attempts: candidate.attempts + 1 } : undefined;
}

/** Sends due alerts until none is left or `max` were tried; returns how many were tried. */
export async function deliverDueAlerts(db: PrismaClient, workerId: string, options: DeliveryOptions, max = 20): Promise<number> {
  let tried = 0;
  let target: Awaited<ReturnType<typeof alertTarget>> | undefined;
  while (tried < max) {
    const alert = await claimNext(db, workerId, new Date());
    if (alert === null) break;
    if (alert === undefined) continue; // another worker claimed it first
    target ??= await alertTarget(db, options.key);
    if (!target) break;
    tried++;
    const outcome = await postAlert(target, alert.id, alert.payload, options);
    const now = new Date();
    if (outcome.ok) {
      await db.alert.updateMany({ where: { id: alert.id, claimedBy: workerId }, data: { status: "delivered", deliveredAt: now, lastError: null, claimedUntil: null } });
    } else {
      const last = alert.attempts >= MAX_ALERT_ATTEMPTS;
      const retryAt = new Date(now.getTime() + (options.retryBaseMs ?? 5_000) * 2 ** (alert.attempts - 1));
      await db.alert.updateMany({
        where: { id: alert.id, claimedBy: workerId },
        data: last
          ? { status: "failed", lastError: outcome.error ?? null, claimedUntil: null }
          : { nextAttemptAt: retryAt, lastError: outcome.error ?? null, claimedBy: null, claimedUntil: null },
      });
    }
    // The settings show the last delivery; a try that will be retried counts as failed until it is not.
    await recordDelivery(db, outcome.ok ? { ok: true } : { ok: false, error: `${outcome.error}${alert.attempts < MAX_ALERT_ATTEMPTS ? ` (attempt ${alert.attempts} of ${MAX_ALERT_ATTEMPTS}; retrying)` : ` (gave up after ${MAX_ALERT_ATTEMPTS} attempts)`}` }, now);
  }
  return tried;
}

/** Settings → Alerts → "Send test alert": signed like a real one, sent at once, recorded as the last delivery. */
export async function sendTestAlert(db: PrismaClient, options: DeliveryOptions & { publicUrl?: string }): Promise<{ ok: boolean; error?: string }> {
  const target = await alertTarget(db, options.key);
  if (!target) return { ok: false, error: "Alerts are not set up yet: save a URL first." };
  const id = `msg_test_${Date.now().toString(36)}`;
  const payload: Prisma.InputJsonValue = {
    type: "alert.test",
    timestamp: new Date().toISOString(),
    data: { summary: "Test alert from Syncline: alerts reach this URL and the signature verifies.", links: { settings: `${options.publicUrl ?? ""}/settings` } },
  };
  const outcome = await postAlert(target, id, payload, options);
  await recordDelivery(db, outcome);
  return outcome;
}
