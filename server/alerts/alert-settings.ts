import "server-only";
import { randomBytes } from "node:crypto";
import { lookup } from "node:dns/promises";
import * as z from "zod";
import type { PrismaClient } from "@/server/db/generated/client";
import { InvalidInputError, NotFoundError } from "@/server/domain-errors";
import { openSecret, sealSecret, secretKeyFromEnv } from "@/server/credentials/secret-box";
import { AddressRefusedError, ALLOWLIST_SETTING, allowlistOf, resolvePermittedAddress, type HostResolver } from "@/server/outbound/address-policy";

// Settings → Alerts (docs/decisions/0024-alert-webhooks-and-discarding-held-events.md): one
// webhook URL that gets a signed POST when a dead letter appears or a channel goes down. The
// Standard Webhooks signing secret (`whsec_…`) is made here, sealed like credentials, shown once
// when made and afterwards only when an admin asks to reveal it.

const SETTINGS_ID = "default";
/** Binds the sealed secret to its row (secret-box associated data). */
const SEAL_CONTEXT = "alert-setting:default";

export const DEFAULT_MIN_INTERVAL_MINUTES = 15;

export const alertSettingsInputSchema = z.object({
  url: z
    .url({ protocol: /^https?$/, error: "Enter the full web address the alerts are posted to, starting with https:// (or http://)" })
    .max(2000, "The URL is too long (at most 2,000 characters)"),
  minIntervalMinutes: z.coerce
    .number("Enter a number of minutes")
    .int("Enter whole minutes")
    .min(1, "At least 1 minute between alerts of one flow")
    .max(1440, "At most 1,440 minutes (a day) between alerts of one flow")
    .default(DEFAULT_MIN_INTERVAL_MINUTES),
  onDeadLetter: z.boolean().default(true),
  onChannelDown: z.boolean().default(true),
});
export type AlertSettingsInput = z.input<typeof alertSettingsInputSchema>;

/** What the settings section shows; never the secret. */
export interface AlertSettingsView {
  url: string;
  minIntervalMinutes: number;
  onDeadLetter: boolean;
  onChannelDown: boolean;
  lastDeliveryStatus: string | null;
  lastDeliveryAt: Date | null;
  lastDeliveryError: string | null;
  /** Alerts written but not delivered yet (including ones waiting for a retry). */
  pending: number;
}

export interface AlertSettingsOptions {
  key?: Buffer;
  /** SYNCLINE_HTTP_ALLOWLIST entries. */
  allowlist?: readonly string[];
  resolve?: HostResolver;
}

/** A new Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/** Refuses a URL that outgoing calls would refuse (private or loopback host not in the allow-list). */
const LOOKUP_TIMEOUT_MS = 3_000;
const boundedResolver: HostResolver = async (host) => {
  const answers = await Promise.race([
    lookup(host, { all: true, order: "verbatim" }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the name lookup took too long")), LOOKUP_TIMEOUT_MS).unref()),
  ]);
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

async function checkAddress(url: string, options: AlertSettingsOptions) {
  const host = new URL(url).hostname;
  try {
    await resolvePermittedAddress(host, allowlistOf(options.allowlist ?? []), options.resolve ?? boundedResolver);
  } catch (error) {
    const message = error instanceof AddressRefusedError
      ? `${error.host === error.address ? error.address : `${error.host} (${error.address})`} is ${error.reason}; alerts are not sent there unless ${ALLOWLIST_SETTING} lists it`
      : `${host} could not be found (${(error as Error).message})`;
    throw new InvalidInputError("The alert URL cannot be used.", [{ path: "url", message }]);
  }
}

export async function getAlertSettings(db: PrismaClient): Promise<AlertSettingsView | null> {
  const row = await db.alertSetting.findUnique({ where: { id: SETTINGS_ID } });
  if (!row) return null;
  const pending = await db.alert.count({ where: { status: "pending" } });
  return {
    url: row.url, minIntervalMinutes: row.minIntervalMinutes, onDeadLetter: row.onDeadLetter, onChannelDown: row.onChannelDown,
    lastDeliveryStatus: row.lastDeliveryStatus, lastDeliveryAt: row.lastDeliveryAt, lastDeliveryError: row.lastDeliveryError, pending,
  };
}

/**
 * Creates or changes the alert settings. Returns the signing secret only when it was just made
 * (the first save): that is the one time it is shown without asking.
 */
export async function saveAlertSettings(db: PrismaClient, input: AlertSettingsInput, options: AlertSettingsOptions = {}): Promise<{ secret: string | null }> {
  const parsed = alertSettingsInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidInputError("The alert settings are not valid.", parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })));
  }
  const values = parsed.data;
  await checkAddress(values.url, options);
  const existing = await db.alertSetting.findUnique({ where: { id: SETTINGS_ID }, select: { id: true } });
  if (existing) {
    await db.alertSetting.update({ where: { id: SETTINGS_ID }, data: values });
    return { secret: null };
  }
  const secret = newSecret();
  const sealed = sealSecret({ secret }, options.key ?? secretKeyFromEnv(), SEAL_CONTEXT);
  const now = new Date();
  // The scan starts now: letters and outages from before alerts were set up are not sent.
  await db.alertSetting.create({
    data: { id: SETTINGS_ID, ...values, secretCiphertext: sealed.ciphertext, secretKeyId: sealed.keyId, deadLetterCursorAt: now, channelCursorAt: now },
  });
  return { secret };
}

/** Makes a new signing secret (the old one stops verifying at once) and returns it. */
export async function rotateAlertSecret(db: PrismaClient, options: AlertSettingsOptions = {}): Promise<{ secret: string }> {
  const secret = newSecret();
  const sealed = sealSecret({ secret }, options.key ?? secretKeyFromEnv(), SEAL_CONTEXT);
  const { count } = await db.alertSetting.updateMany({ where: { id: SETTINGS_ID }, data: { secretCiphertext: sealed.ciphertext, secretKeyId: sealed.keyId } });
  if (count === 0) throw new NotFoundError("Alerts are not set up yet: save a URL first.");
  return { secret };
}

/** Turns alerts off: the settings, the queued alerts and the rate-limit counters go. */
export async function removeAlertSettings(db: PrismaClient): Promise<void> {
  await db.$transaction([db.alert.deleteMany({}), db.alertThrottle.deleteMany({}), db.alertSetting.deleteMany({ where: { id: SETTINGS_ID } })]);
}

/** The settings with their opened secret, for whoever signs (the sender, the test alert, an admin's reveal). */
export async function alertTarget(db: PrismaClient, key: Buffer = secretKeyFromEnv()) {
  const row = await db.alertSetting.findUnique({ where: { id: SETTINGS_ID } });
  if (!row) return null;
  const { secret } = openSecret(row.secretCiphertext, key, SEAL_CONTEXT);
  return { ...row, secret: secret! };
}

/** Records how the last delivery went, for the settings section. */
export async function recordDelivery(db: PrismaClient, outcome: { ok: boolean; error?: string }, at = new Date()) {
  await db.alertSetting.updateMany({
    where: { id: SETTINGS_ID },
    data: { lastDeliveryStatus: outcome.ok ? "delivered" : "failed", lastDeliveryAt: at, lastDeliveryError: outcome.ok ? null : (outcome.error ?? null) },
  });
}

export const ALERT_SETTINGS_ID = SETTINGS_ID;
