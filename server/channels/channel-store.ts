import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { InvalidInputError, NotFoundError } from "@/server/domain-errors";
import { timingSafeEqual } from "node:crypto";
import { channelTypes, isChannelType, type ChannelType } from "@/server/channels/channel-types";
import { changedHostSettings, hostSettingLabel, pinnedHostProblems } from "@/server/credentials/host-settings";
import { readCredentialSecret } from "@/server/credentials/credential-store";
import { env } from "@/server/env";
import { heldEventsBySystem, outsideSystemStatus, type OutsideSystemStatus } from "@/server/outside-systems/outside-system-health";

export { channelTypes, type ChannelType } from "@/server/channels/channel-types";

// Sales channels: a named connection (type, credential, settings) plus the health the runtime
// reports for it (last success, last error, down since).

type Db = PrismaClient;

/** An executor that names a deleted channel fails without retries: the runtime retries only TransientErrors. */
export class ChannelNotFoundError extends NotFoundError {
  constructor(readonly id: string) {
    super(`channel ${id} not found`);
    this.name = "ChannelNotFoundError";
  }
}

/**
 * Invalid settings or credential for the channel's type; `fieldErrors` is keyed by field name
 * (`type`, `credentialId` or a settings field), the issues by input path (`settings.url`).
 */
export class ChannelValidationError extends InvalidInputError {
  constructor(
    message: string,
    readonly fieldErrors: Record<string, string[]>,
  ) {
    super(
      message,
      Object.entries(fieldErrors).flatMap(([field, messages]) =>
        messages.map((m) => ({
          path: field === "type" || field === "credentialId" || field.startsWith("credentialSecret.") ? field : `settings.${field}`,
          message: m,
        })),
      ),
    );
    this.name = "ChannelValidationError";
  }
}

export interface Channel {
  id: string;
  name: string;
  type: string;
  credentialId: string | null;
  credential: { id: string; name: string; type: string } | null;
  settings: Record<string, unknown>;
  lastSuccessAt: Date | null;
  lastErrorAt: Date | null;
  lastError: string | null;
  downSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ChannelInput {
  name: string;
  type: ChannelType | string;
  credentialId?: string | null;
  settings?: Record<string, unknown>;
}

const channelInclude = { credential: { select: { id: true, name: true, type: true } } } as const;

function toChannel(row: {
  id: string;
  name: string;
  type: string;
  credentialId: string | null;
  credential: { id: string; name: string; type: string } | null;
  settings: unknown;
  lastSuccessAt: Date | null;
  lastErrorAt: Date | null;
  lastError: string | null;
  downSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}): Channel {
  const settings =
    row.settings && typeof row.settings === "object" && !Array.isArray(row.settings)
      ? (row.settings as Record<string, unknown>)
      : {};
  return { ...row, settings };
}

/** Validates settings for the type; returns the parsed settings (defaults filled in). */
function parseChannelSettings(type: string, settings: unknown): Record<string, unknown> {
  if (!isChannelType(type)) {
    throw new ChannelValidationError(`unknown channel type "${type}"`, { type: ["Unknown channel type"] });
  }
  const result = channelTypes[type].settings.safeParse(settings ?? {});
  if (!result.success) {
    const fieldErrors: Record<string, string[]> = {};
    for (const issue of result.error.issues) (fieldErrors[String(issue.path[0] ?? "settings")] ??= []).push(issue.message);
    throw new ChannelValidationError(result.error.issues.map((i) => i.message).join("; "), fieldErrors);
  }
  // Drop undefined values so the stored JSON stays small.
  return JSON.parse(JSON.stringify(result.data)) as Record<string, unknown>;
}

async function checkCredential(db: Db, type: string, credentialId: string | null | undefined): Promise<void> {
  if (!credentialId) return;
  const credential = await db.credential.findUnique({ where: { id: credentialId }, select: { type: true } });
  if (!credential) throw new ChannelValidationError("the credential does not exist", { credentialId: ["No such credential"] });
  const expected = isChannelType(type) ? channelTypes[type].credentialType : undefined;
  if (expected && credential.type !== expected) {
    throw new ChannelValidationError(`a ${type} channel needs a ${expected} credential, not ${credential.type}`, {
      credentialId: [`Pick a ${expected} credential`],
    });
  }
}

export async function createChannel(db: Db, input: ChannelInput): Promise<Channel> {
  const settings = parseChannelSettings(input.type, input.settings);
  assertPinnedHosts(input.type, settings);
  await checkCredential(db, input.type, input.credentialId);
  const row = await db.channel.create({
    data: { name: input.name.trim(), type: input.type, credentialId: input.credentialId ?? null, settings: settings as object },
    include: channelInclude,
  });
  return toChannel(row);
}

export async function listChannels(db: Db): Promise<Channel[]> {
  const rows = await db.channel.findMany({ orderBy: [{ name: "asc" }, { createdAt: "asc" }], include: channelInclude });
  return rows.map(toChannel);
}

/** Throws ChannelNotFoundError when it does not exist. */
export async function getChannel(db: Db, id: string): Promise<Channel> {
  const row = await db.channel.findUnique({ where: { id }, include: channelInclude });
  if (!row) throw new ChannelNotFoundError(id);
  return toChannel(row);
}

/** Changes name, type, credential (null: none) and settings (replaced as a whole, validated for the type). */
/**
 * `credentialSecret`: the channel's credential secret, entered again. Required when a host-bearing
 * setting (URL, shop domain, token URL) changes while the channel keeps its saved credential, so
 * a saved secret is only re-pointed at another host by someone who knows it.
 */
export async function updateChannel(
  db: Db,
  id: string,
  patch: Partial<ChannelInput> & { credentialSecret?: Record<string, string> },
): Promise<Channel> {
  const current = await getChannel(db, id);
  const type = patch.type ?? current.type;
  const settings = parseChannelSettings(type, patch.settings ?? current.settings);
  assertPinnedHosts(type, settings);
  const credentialId = patch.credentialId === undefined ? current.credentialId : patch.credentialId;
  const changed = changedHostSettings(current.settings as Record<string, unknown>, settings as Record<string, unknown>);
  if (changed.length > 0 && credentialId) await assertSecretReentered(db, credentialId, patch.credentialSecret, changed);
  await checkCredential(db, type, credentialId);
  const row = await db.channel.update({
    where: { id },
    data: {
      ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
      type,
      credentialId: credentialId ?? null,
      settings: settings as object,
    },
    include: channelInclude,
  });
  return toChannel(row);
}

function assertPinnedHosts(type: string, settings: object) {
  const problems = pinnedHostProblems(type, settings as Record<string, unknown>, env().SYNCLINE_ALLOW_CUSTOM_PROVIDER_HOSTS);
  if (Object.keys(problems).length > 0) throw new ChannelValidationError("This platform only accepts its own hosts", problems);
}

async function assertSecretReentered(db: Db, credentialId: string, entered: Record<string, string> | undefined, changed: string[]) {
  const message = `${changed.map(hostSettingLabel).join(" and ")} changed: enter the credential's secret again to send it to the new host.`;
  const stored = await readCredentialSecret(db, credentialId).catch(() => null);
  if (!stored) return; // An unreadable credential sends nothing anywhere.
  const fields = Object.keys(stored.secret);
  const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
  const wrong = fields.filter((field) => !entered?.[field] || !same(entered[field]!.trim(), stored.secret[field]!));
  if (wrong.length > 0) {
    throw new ChannelValidationError(message, Object.fromEntries(wrong.map((field) => [`credentialSecret.${field}`, [entered?.[field] ? "This does not match the saved secret." : message]])));
  }
}

export async function deleteChannel(db: Db, id: string): Promise<void> {
  const { count } = await db.channel.deleteMany({ where: { id } });
  if (count === 0) throw new ChannelNotFoundError(id);
}

export type ChannelStatus = OutsideSystemStatus;

export interface ChannelHealth {
  channelId: string;
  status: ChannelStatus;
  lastSuccessAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  downSince: Date | null;
  /** The runtime is holding updates for this channel because it looks down. */
  holding: boolean;
  /** Held events of flows whose published version uses this channel (approximate). */
  heldEvents: number;
}

// Health is written by the sync-channel step through the one outside-system mechanism
// (server/outside-systems/outside-system-health.ts, docs/decisions/0026-outside-system-health.md).
const channelStatus = outsideSystemStatus;

/** Health of every channel, keyed by channel id. */
export async function channelHealth(db: Db): Promise<Record<string, ChannelHealth>> {
  const channels = await db.channel.findMany({
    select: { id: true, lastSuccessAt: true, lastErrorAt: true, lastError: true, downSince: true },
  });
  const heldByChannel = await heldEventsBySystem(db, channels.map((c) => c.id));
  const out: Record<string, ChannelHealth> = {};
  for (const c of channels) {
    out[c.id] = {
      channelId: c.id,
      status: channelStatus(c),
      lastSuccessAt: c.lastSuccessAt,
      lastError: c.lastError,
      lastErrorAt: c.lastErrorAt,
      downSince: c.downSince,
      holding: c.downSince != null,
      heldEvents: heldByChannel.get(c.id) ?? 0,
    };
  }
  return out;
}
