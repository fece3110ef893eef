import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { settingsAddressWarnings, type SettingWarning } from "@/server/credentials/host-address-warnings";
import type { HostResolver } from "@/server/outbound/address-policy";
import { channelTypes, isChannelType } from "./channel-types";

// A channel's URLs that runs will refuse (docs/decisions/0029): shown in the channel dialog as
// the settings are typed, and on every sync step that names the channel.

/** Warnings for settings typed in the channel dialog (not yet saved). */
export async function channelSettingsAddressWarnings(type: string, settings: Record<string, unknown>, allowlist: readonly string[], resolve?: HostResolver): Promise<SettingWarning[]> {
  if (!isChannelType(type)) return [];
  const labels = Object.fromEntries(channelTypes[type].fields.map((f) => [f.name, f.label]));
  return settingsAddressWarnings(settings, labels, allowlist, resolve);
}

/** The warnings of a saved channel; none for an unknown id (validateFlow reports it). */
export async function channelAddressWarnings(db: PrismaClient, id: string, allowlist: readonly string[], resolve?: HostResolver) {
  const row = await db.channel.findUnique({ where: { id }, select: { name: true, type: true, settings: true } });
  if (!row) return { name: id, warnings: [] };
  const settings = row.settings && typeof row.settings === "object" && !Array.isArray(row.settings) ? (row.settings as Record<string, unknown>) : {};
  return { name: row.name, warnings: await channelSettingsAddressWarnings(row.type, settings, allowlist, resolve) };
}
