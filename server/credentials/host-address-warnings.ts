import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { addressWarning } from "@/server/outbound/address-warnings";
import type { HostResolver } from "@/server/outbound/address-policy";
import { credentialTypes, isCredentialType } from "./credential-types";
import { HOST_SETTINGS } from "./host-settings";

// The editor's early notice (docs/decisions/0029) for URLs kept in settings rather than in a step:
// a channel's URL, base URL or token URL, a credential's base URL or endpoint. Runs call them
// through the same address policy as an HTTP request step, so a private or loopback host that
// SYNCLINE_HTTP_ALLOWLIST does not list is a warning where the setting is typed, not a dead letter.

/** Settings that hold the address a run calls: the host settings plus the endpoints of the AWS and Event Grid credentials. */
const ADDRESS_SETTINGS: readonly string[] = [...HOST_SETTINGS, "endpoint"];

export interface SettingWarning {
  /** The setting's key, e.g. `baseUrl`. */
  field: string;
  /** The setting's form label, e.g. "Store URL". */
  label: string;
  message: string;
}

/** The URL a setting stands for: a shop domain is called over https. */
function settingUrl(value: unknown): string | null {
  if (typeof value !== "string" || value.trim() === "") return null;
  const text = value.trim();
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
}

/** A warning for each address setting runs will refuse; `labels` are the form's labels by key. */
export async function settingsAddressWarnings(
  settings: Record<string, unknown>,
  labels: Record<string, string>,
  allowlist: readonly string[],
  resolve?: HostResolver,
): Promise<SettingWarning[]> {
  const checked = await Promise.all(
    ADDRESS_SETTINGS.map(async (field) => {
      const url = settingUrl(settings[field]);
      const message = url ? await addressWarning(url, allowlist, resolve) : null;
      return message ? { field, label: labels[field] ?? field, message } : null;
    }),
  );
  return checked.filter((w): w is SettingWarning => w !== null);
}

/** The warnings of a saved credential's address settings; none for an unknown id (validateFlow reports it). */
export async function credentialAddressWarnings(db: PrismaClient, id: string, allowlist: readonly string[], resolve?: HostResolver) {
  const row = await db.credential.findUnique({ where: { id }, select: { name: true, type: true, settings: true } });
  if (!row || !isCredentialType(row.type)) return { name: row?.name ?? id, warnings: [] };
  const labels = Object.fromEntries(credentialTypes[row.type].settings.map((s) => [s.name, s.label]));
  const settings = row.settings && typeof row.settings === "object" && !Array.isArray(row.settings) ? (row.settings as Record<string, unknown>) : {};
  return { name: row.name, warnings: await settingsAddressWarnings(settings, labels, allowlist, resolve) };
}
