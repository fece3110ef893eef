import "server-only";
import { ALLOWLIST_SETTING, AddressRefusedError, allowlistOf, resolvePermittedAddress, type HostResolver, type PermittedAddress } from "./address-policy";
import { lookup } from "node:dns/promises";
import { env } from "@/server/env";

// The editor's early notice of what the runtime will refuse: a URL whose host is (or resolves to)
// a private, loopback or otherwise internal address that SYNCLINE_HTTP_ALLOWLIST does not list.
// The same check as outgoing calls (resolvePermittedAddress), made when the flow is edited,
// so the surprise is a warning on the node rather than a dead letter at run time. A warning, not
// a problem: DNS may answer differently where the workers run, and the operator may still add
// the host to the allow-list before the flow is enabled.

const LOOKUP_TIMEOUT_MS = 1_500;

const quickResolver: HostResolver = async (host) => {
  const answers = await Promise.race([
    lookup(host, { all: true, order: "verbatim" }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error("lookup timed out")), LOOKUP_TIMEOUT_MS).unref()),
  ]);
  return answers.map((a): PermittedAddress => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** Why runs will refuse `url`, in the user's words, or null when they will not (or it cannot be known yet). */
export async function addressWarning(url: string, allowlistEntries: readonly string[], resolve: HostResolver = quickResolver): Promise<string | null> {
  // A host made of {{ expressions }} is only known at run time.
  const origin = url.match(/^[a-z]+:\/\/[^/?#]*/i)?.[0] ?? "";
  if (origin.includes("{{")) return null;
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return null; // validateFlow reports a malformed URL
  }
  if (!host) return null;
  try {
    await resolvePermittedAddress(host, allowlistOf(allowlistEntries), resolve);
    return null;
  } catch (error) {
    if (!(error instanceof AddressRefusedError)) return null;
    const where = error.host === error.address ? `${error.address} is ${error.reason}` : `${error.host} resolves to ${error.address}, ${error.reason}`;
    return `Runs will refuse this URL: ${where}, and ${ALLOWLIST_SETTING} does not list it. Use a public address, or ask your operator to add the host to ${ALLOWLIST_SETTING}.`;
  }
}

/** The SYNCLINE_HTTP_ALLOWLIST entries this server runs with, for the editor's warnings. */
export function configuredAllowlist(): string[] {
  return env().SYNCLINE_HTTP_ALLOWLIST.split(",").map((s) => s.trim()).filter(Boolean);
}
