import "server-only";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

// Which addresses outgoing HTTP may reach (docs/guarantees.md §7: no SSRF through HTTP actions). Flow authors
// choose URLs, so without this a flow could read cloud metadata (169.254.169.254), the database
// port on localhost or an admin panel on the office network. Public addresses are fine; private,
// loopback, link-local, multicast, unspecified and reserved ones only when the operator allows
// them in SYNCLINE_HTTP_ALLOWLIST.
//
// The check is made on the address the socket will connect to, never only on the host name: the
// caller resolves once here and pins the connection to that address, so a DNS answer that changes
// between check and connect (DNS rebinding) cannot slip a private address past.
//
// Addresses are read and matched with ipaddr.js rather than node's BlockList: the policy must see
// the IPv4 address inside IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) and 6to4 (2002::/16)
// addresses, and IPv4 in the decimal, octal and hex forms inet_aton accepts.

export const ALLOWLIST_SETTING = "SYNCLINE_HTTP_ALLOWLIST";

type Family = 4 | 6;

type Ip = ipaddr.IPv4 | ipaddr.IPv6;

/** An address and its prefix length, both of one family (ipaddr.js matches only like with like). */
type Cidr = [Ip, number];

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

function unbracket(text: string): string {
  return text.replace(/^\[|\]$/g, "");
}

/**
 * Reads an IP address the way the socket layer would: besides the usual forms, IPv4 in decimal,
 * octal or hex (`2130706433`, `0177.0.0.1`, `0x7f.1`) as inet_aton reads it. IPv4-mapped IPv6
 * (`::ffff:10.0.0.1`) becomes the IPv4 address it is.
 */
function parseIp(text: string): Ip | null {
  const address = unbracket(text).replace(/%.*$/, "");
  if (!ipaddr.isValid(address)) return null;
  return ipaddr.process(address);
}

/** An allow-list address or range in standard notation only: `10/8` must not quietly mean 0.0.0.10/8. */
function parseCidr(text: string): Cidr | null {
  const [addressText, prefixText, extra] = text.split("/");
  if (extra !== undefined || addressText === undefined) return null;
  const raw = unbracket(addressText);
  if (isIP(raw) === 0) return null;
  const ip = ipaddr.parse(raw);
  const bits = ip instanceof ipaddr.IPv4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return null;
  // `::ffff:10.0.0.0/104` was written for IPv6 but means IPv4 10.0.0.0/8: addresses are compared unwrapped.
  if (ip instanceof ipaddr.IPv6 && ip.isIPv4MappedAddress()) {
    return prefix >= 96 ? [ip.toIPv4Address(), prefix - 96] : null;
  }
  return [ip, prefix];
}

function contains([range, prefix]: Cidr, ip: Ip): boolean {
  return range.kind() === ip.kind() && ip.match(range, prefix);
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
// (IPv4-mapped addresses are unwrapped when parsed.)
const NAT64 = cidrs("64:ff9b::/96")[0]!;
const SIX_TO_FOUR = cidrs("2002::/16")[0]!;

function embeddedIpv4(ip: Ip): Ip | null {
  if (!(ip instanceof ipaddr.IPv6)) return null;
  const bytes = ip.toByteArray();
  // NAT64 (RFC 6052) carries the IPv4 address in the last 32 bits, 6to4 (RFC 3056) in bits 16–47.
  if (contains(NAT64, ip)) return new ipaddr.IPv4(bytes.slice(12, 16));
  if (contains(SIX_TO_FOUR, ip)) return new ipaddr.IPv4(bytes.slice(2, 6));
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

/** `host` as the address to connect to when it is an IP literal (IPv4 in any form inet_aton reads, as dotted quad). */
function literalAddress(host: string): PermittedAddress[] | null {
  const ip = parseIp(host);
  if (!ip) return null;
  if (ip instanceof ipaddr.IPv4 && isIP(host) !== 6) return [{ address: ip.toString(), family: 4 }];
  return [{ address: host, family: 6 }];
}

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
  const candidates: PermittedAddress[] = literalAddress(name) ?? (await resolve(name));
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
