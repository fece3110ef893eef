import * as z from "zod";

// Settings that say where a secret is sent. Changing one re-points the stored secret at another
// host, so it requires entering the secret again (an attacker with a stolen session must not
// redirect the saved keys to their own listener); and for well-known providers the hosts are
// pinned to the provider's own unless SYNCLINE_ALLOW_CUSTOM_PROVIDER_HOSTS allows others.

export const HOST_SETTINGS = ["baseUrl", "shopDomain", "authUrl", "url"] as const;

/** How forms call each host setting, for messages. */
const HOST_SETTING_LABELS: Record<(typeof HOST_SETTINGS)[number], string> = {
  baseUrl: "Base URL", shopDomain: "Shop domain", authUrl: "Token URL", url: "URL",
};

export function hostSettingLabel(name: string): string {
  return HOST_SETTING_LABELS[name as (typeof HOST_SETTINGS)[number]] ?? name;
}

function text(value: unknown): string {
  return typeof value === "string" ? value.trim() : "";
}

/** The host-bearing settings whose value differs between `before` and `after`. */
export function changedHostSettings(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return HOST_SETTINGS.filter((name) => text(before[name]) !== text(after[name]));
}

/** The fields a secret schema requires (those an empty object is refused for). */
export function requiredSecretFields(schema: z.ZodType): string[] {
  const result = schema.safeParse({});
  return result.success ? [] : [...new Set(result.error.issues.map((issue) => String(issue.path[0])))];
}

/** Pinned hosts of the well-known providers, by credential or channel type. `*.` matches subdomains. */
const PINNED_HOSTS: Record<string, string[]> = {
  deepl: ["api.deepl.com", "api-free.deepl.com"],
  shopify: ["*.myshopify.com"],
  bolcom: ["api.bol.com", "login.bol.com"],
  amazon: ["sellingpartnerapi-na.amazon.com", "sellingpartnerapi-eu.amazon.com", "sellingpartnerapi-fe.amazon.com", "api.amazon.com"],
};

function hostOf(value: string): string | null {
  try {
    return new URL(value.includes("://") ? value : `https://${value}`).hostname.toLowerCase();
  } catch {
    return null;
  }
}

function matches(host: string, pattern: string) {
  return pattern.startsWith("*.") ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern;
}

/**
 * Field messages for host settings of a well-known provider that point elsewhere; empty when all
 * are the provider's own, the type has no pin, or `allowCustom` is set.
 */
export function pinnedHostProblems(type: string, settings: Record<string, unknown>, allowCustom: boolean): Record<string, string[]> {
  const pins = PINNED_HOSTS[type];
  if (!pins || allowCustom) return {};
  const problems: Record<string, string[]> = {};
  for (const name of HOST_SETTINGS) {
    const value = text(settings[name]);
    if (!value) continue;
    const host = hostOf(value);
    if (!host || !pins.some((pin) => matches(host, pin))) {
      problems[name] = [`Must be one of ${pins.join(", ")} (set SYNCLINE_ALLOW_CUSTOM_PROVIDER_HOSTS=true to allow others).`];
    }
  }
  return problems;
}
