import "server-only";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

// Which addresses outgoing HTTP may reach (docs/guarantees.md §7: no SSRF through HTTP actions). Flow authors
// choose URLs, so without this a flow could read cloud metadata (169.254.169.254), the database
// port on localhost or an admin panel on the office network. Public addresses are fine; private,
// loopback, link-local, multicast, unspecified and reserved ones only when the operator allows
// them in SYNCLINE_HTTP_ALLOWLIST.
//
// The check is made on the address the socket will connect to, never only on the host name: the
// caller resolves once here and pins the connection to that address, so a DNS answer that changes
// between check and connect (DNS rebinding) cannot slip a private address past.

export const ALLOWLIST_SETTING = "SYNCLINE_HTTP_ALLOWLIST";

type Family = 4 | 6;

interface Ip {
  family: Family;
  value: bigint;
}

interface Cidr extends Ip {
  prefix: number;
}

export interface PermittedAddress {
  address: string;
  family: Family;
}

/** The host is a private (or otherwise internal) address and the allow-list does not permit it. */
export class AddressRefusedError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    /** e.g. "a private address", "a loopback address". */
    readonly reason: string,
  ) {
    const where = host === address ? `${address} is ${reason}` : `${host} resolves to ${address}, ${reason}`;
    super(
      `Refused to connect: ${where}. Outgoing HTTP only reaches public addresses unless ${ALLOWLIST_SETTING} ` +
        `lists the host or a CIDR range containing the address (e.g. ${ALLOWLIST_SETTING}=${host === address ? address : host}).`,
    );
    this.name = "AddressRefusedError";
  }
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

function parseIpv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  let rest = text;
  // A trailing dotted quad (::ffff:127.0.0.1) stands for the last two 16-bit groups.
  let tail: bigint[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(rest);
  if (dotted) {
    const v4 = parseIpv4(dotted[2]!);
    if (v4 === null) return null;
    tail = [v4 >> 16n, v4 & 0xffffn];
    rest = dotted[1]!.endsWith("::") ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = rest.split("::");
  if (halves.length > 2) return null;
  const group = (part: string) => (part === "" ? [] : part.split(":"));
  const head = group(halves[0]!);
  const back = halves.length === 2 ? group(halves[1]!) : [];
  const missing = 8 - tail.length - head.length - back.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...back];
  let value = 0n;
  for (const part of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(part)) return null;
    value = (value << 16n) | BigInt(Number.parseInt(part, 16));
  }
  for (const part of tail) value = (value << 16n) | part;
  return value;
}

const MAPPED_PREFIX = 0xffffn << 32n;

/** Parses an IP address; IPv4-mapped IPv6 (`::ffff:10.0.0.1`) becomes the IPv4 address it is. */
function parseIp(text: string): Ip | null {
  const address = text.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const family = isIP(address);
  if (family === 4) {
    const value = parseIpv4(address);
    return value === null ? null : { family: 4, value };
  }
  if (family === 6) {
    const value = parseIpv6(address);
    if (value === null) return null;
    if (value >> 32n === MAPPED_PREFIX >> 32n) return { family: 4, value: value & 0xffffffffn };
    return { family: 6, value };
  }
  return null;
}

function parseCidr(text: string): Cidr | null {
  const [addressText, prefixText, extra] = text.split("/");
  if (extra !== undefined || addressText === undefined) return null;
  const raw = addressText.replace(/^\[|\]$/g, "");
  const ip = parseIp(raw);
  if (!ip) return null;
  if (prefixText === undefined) return { ...ip, prefix: BITS[ip.family] };
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  let prefix = Number(prefixText);
  // `::ffff:10.0.0.0/104` was written for IPv6 but parses as IPv4: move the prefix along.
  if (ip.family === 4 && isIP(raw) === 6) prefix -= 96;
  if (prefix < 0 || prefix > BITS[ip.family]) return null;
  return { ...ip, prefix };
}

function contains(range: Cidr, ip: Ip): boolean {
  if (range.family !== ip.family) return false;
  const shift = BigInt(BITS[ip.family] - range.prefix);
  return range.value >> shift === ip.value >> shift;
}

function cidrs(...texts: string[]): Cidr[] {
  return texts.map((text) => {
    const cidr = parseCidr(text);
    if (!cidr) throw new Error(`bad built-in range ${text}`);
    return cidr;
  });
}

// Order matters: the first matching range names the reason in the refusal message.
const forbiddenRanges: { reason: string; ranges: Cidr[] }[] = [
  { reason: "the unspecified address", ranges: cidrs("0.0.0.0/8", "::/128") },
  { reason: "a loopback address", ranges: cidrs("127.0.0.0/8", "::1/128") },
  { reason: "a private address", ranges: cidrs("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7", "fec0::/10") },
  { reason: "a link-local address", ranges: cidrs("169.254.0.0/16", "fe80::/10") },
  { reason: "a multicast address", ranges: cidrs("224.0.0.0/4", "ff00::/8") },
  {
    reason: "a reserved address",
    ranges: cidrs(
      "192.0.0.0/24",
      "192.0.2.0/24",
      "198.18.0.0/15",
      "198.51.100.0/24",
      "203.0.113.0/24",
      "240.0.0.0/4",
      // Deprecated IPv4-compatible IPv6, discard-only, documentation, local NAT64 and Teredo.
      "::/96",
      "100::/64",
      "2001:db8::/32",
      "64:ff9b:1::/48",
      "2001::/32",
    ),
  },
];

// IPv6 ranges that carry an IPv4 address inside: they reach whatever that address reaches.
const NAT64 = cidrs("64:ff9b::/96")[0]!;
const SIX_TO_FOUR = cidrs("2002::/16")[0]!;

function embeddedIpv4(ip: Ip): Ip | null {
  if (contains(NAT64, ip)) return { family: 4, value: ip.value & 0xffffffffn };
  if (contains(SIX_TO_FOUR, ip)) return { family: 4, value: (ip.value >> 80n) & 0xffffffffn };
  return null;
}

/** Why the address may not be reached without the allow-list, or null for a public address. */
export function forbiddenReason(address: string): string | null {
  const ip = parseIp(address);
  if (!ip) return "not an IP address";
  const embedded = embeddedIpv4(ip);
  if (embedded) {
    const inner = forbiddenRanges.find((group) => group.ranges.some((range) => contains(range, embedded)));
    if (inner) return `${inner.reason} (embedded in an IPv6 address)`;
  }
  return forbiddenRanges.find((group) => group.ranges.some((range) => contains(range, ip)))?.reason ?? null;
}

/** A SYNCLINE_HTTP_ALLOWLIST entry that is neither a host name, an address nor a CIDR range. */
export class InvalidAllowlistError extends Error {
  constructor(readonly entry: string) {
    super(`${ALLOWLIST_SETTING}: "${entry}" is not a host name, IP address or CIDR range`);
    this.name = "InvalidAllowlistError";
  }
}

export interface AddressAllowlist {
  /** The host names (exact, or `*.suffix`) and CIDR ranges / addresses the operator allowed. */
  permits(host: string, address: string): boolean;
}

const HOST_NAME = /^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
}

/**
 * Reads SYNCLINE_HTTP_ALLOWLIST entries: host names (`erp.internal`, `*.corp.example`), addresses
 * (`127.0.0.1`, `::1`) and CIDR ranges (`10.0.0.0/8`, `fd00::/8`). Throws, naming the entry, on
 * anything else: a typo must not quietly leave a system unreachable.
 */
export function parseAllowlist(entries: readonly string[]): AddressAllowlist {
  const hosts = new Set<string>();
  const suffixes: string[] = [];
  const ranges: Cidr[] = [];
  for (const entry of entries) {
    const text = normalizeHost(entry);
    if (text === "") continue;
    const range = parseCidr(text);
    if (range) ranges.push(range);
    else if (text.includes("/") || !HOST_NAME.test(text)) {
      throw new InvalidAllowlistError(entry.trim());
    } else if (text.startsWith("*.")) suffixes.push(text.slice(1));
    else hosts.add(text);
  }
  return {
    permits(host, address) {
      const name = normalizeHost(host);
      if (hosts.has(name) || suffixes.some((suffix) => name.endsWith(suffix))) return true;
      const ip = parseIp(address);
      return ip !== null && ranges.some((range) => contains(range, ip));
    },
  };
}

const parsedAllowlists = new WeakMap<readonly string[], AddressAllowlist>();

/** `parseAllowlist`, remembered per array: the worker passes the same list to every call. */
export function allowlistOf(entries: readonly string[]): AddressAllowlist {
  let parsed = parsedAllowlists.get(entries);
  if (!parsed) {
    parsed = parseAllowlist(entries);
    parsedAllowlists.set(entries, parsed);
  }
  return parsed;
}

export type HostResolver = (host: string) => Promise<PermittedAddress[]>;

const systemResolver: HostResolver = async (host) => {
  const answers = await lookup(host, { all: true, order: "verbatim" });
  return answers.map((answer) => ({ address: answer.address, family: answer.family === 6 ? 6 : 4 }));
};

/**
 * The address to connect to for `host`: the host itself when it is an IP literal, else the first
 * permitted address it resolves to. Throws `AddressRefusedError` when no address is permitted, and
 * the resolver's error (ENOTFOUND, EAI_AGAIN…) when the name does not resolve.
 */
export async function resolvePermittedAddress(
  host: string,
  allowlist: AddressAllowlist,
  resolve: HostResolver = systemResolver,
): Promise<PermittedAddress> {
  const name = normalizeHost(host);
  const literal = isIP(name);
  const candidates: PermittedAddress[] = literal ? [{ address: name, family: literal === 6 ? 6 : 4 }] : await resolve(name);
  if (candidates.length === 0) {
    throw Object.assign(new Error(`${name} has no addresses`), { code: "ENOTFOUND", hostname: name });
  }
  let refusal: AddressRefusedError | null = null;
  for (const candidate of candidates) {
    const reason = forbiddenReason(candidate.address);
    if (reason === null || allowlist.permits(name, candidate.address)) return candidate;
    refusal ??= new AddressRefusedError(name, candidate.address, reason);
  }
  throw refusal!;
}
