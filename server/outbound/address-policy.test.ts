import { describe, expect, it } from "vitest";
import { AddressRefusedError, forbiddenReason, parseAllowlist, resolvePermittedAddress, type HostResolver } from "./address-policy";

describe("forbiddenReason", () => {
  it.each([
    ["0.0.0.0", "the unspecified address"],
    ["::", "the unspecified address"],
    ["127.0.0.1", "a loopback address"],
    ["127.255.0.9", "a loopback address"],
    ["::1", "a loopback address"],
    ["0:0:0:0:0:0:0:1", "a loopback address"],
    ["10.0.0.1", "a private address"],
    ["172.16.5.4", "a private address"],
    ["172.31.255.255", "a private address"],
    ["192.168.1.1", "a private address"],
    ["100.64.0.1", "a private address"],
    ["fd12:3456::1", "a private address"],
    ["169.254.169.254", "a link-local address"],
    ["fe80::1", "a link-local address"],
    ["FE80::abcd", "a link-local address"],
    ["224.0.0.1", "a multicast address"],
    ["ff02::1", "a multicast address"],
    ["255.255.255.255", "a reserved address"],
    ["2001:db8::1", "a reserved address"],
    // IPv4-mapped IPv6 is the IPv4 address it carries.
    ["::ffff:127.0.0.1", "a loopback address"],
    ["::ffff:7f00:1", "a loopback address"],
    ["::ffff:10.1.2.3", "a private address"],
    ["::ffff:169.254.169.254", "a link-local address"],
    // NAT64 and 6to4 reach the IPv4 address inside them.
    ["64:ff9b::a9fe:a9fe", "a link-local address (embedded in an IPv6 address)"],
    ["2002:7f00:1::", "a loopback address (embedded in an IPv6 address)"],
    ["64:ff9b::7f00:1", "a loopback address (embedded in an IPv6 address)"],
    ["64:ff9b::10.0.0.1", "a private address (embedded in an IPv6 address)"],
    ["2002:c0a8:101::1", "a private address (embedded in an IPv6 address)"],
    // Bracketed as in a URL, and with a zone id.
    ["[::1]", "a loopback address"],
    ["[::ffff:127.0.0.1]", "a loopback address"],
    ["fe80::1%eth0", "a link-local address"],
    // IPv4 written the ways inet_aton reads it: decimal, octal, hex, short forms.
    ["2130706433", "a loopback address"],
    ["0x7f.1", "a loopback address"],
    ["0177.0.0.1", "a loopback address"],
    ["127.1", "a loopback address"],
    ["0xa9fea9fe", "a link-local address"],
  ])("%s is %s", (address, reason) => {
    expect(forbiddenReason(address)).toBe(reason);
  });

  it.each(["93.184.216.34", "8.8.8.8", "172.32.0.1", "192.169.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"])("%s is public", (address) => {
    expect(forbiddenReason(address)).toBeNull();
  });
});

describe("parseAllowlist", () => {
  const allowlist = parseAllowlist([" 127.0.0.1 ", "10.0.0.0/8", "fd00::/8", "ERP.internal", "*.corp.example", ""]);

  it("permits listed addresses and addresses inside listed ranges", () => {
    expect(allowlist.permits("x", "127.0.0.1")).toBe(true);
    expect(allowlist.permits("x", "::ffff:127.0.0.1")).toBe(true);
    expect(allowlist.permits("x", "127.0.0.2")).toBe(false);
    expect(allowlist.permits("x", "10.20.30.40")).toBe(true);
    expect(allowlist.permits("x", "fd12::1")).toBe(true);
    expect(allowlist.permits("x", "192.168.0.1")).toBe(false);
  });

  it("permits listed host names, case-insensitively, and subdomains of *. entries", () => {
    expect(allowlist.permits("erp.internal", "192.168.0.1")).toBe(true);
    expect(allowlist.permits("ERP.Internal.", "192.168.0.1")).toBe(true);
    expect(allowlist.permits("pim.corp.example", "192.168.0.1")).toBe(true);
    expect(allowlist.permits("corp.example", "192.168.0.1")).toBe(false);
    expect(allowlist.permits("evil-erp.internal", "192.168.0.1")).toBe(false);
  });

  it("reads an IPv4-mapped IPv6 range as the IPv4 range it is", () => {
    const mapped = parseAllowlist(["::ffff:10.0.0.0/104"]);
    expect(mapped.permits("x", "10.1.2.3")).toBe(true);
    expect(mapped.permits("x", "::ffff:10.1.2.3")).toBe(true);
    expect(mapped.permits("x", "11.0.0.1")).toBe(false);
  });

  it("refuses entries it cannot read, naming them and the setting", () => {
    // Short IPv4 forms are not standard notation: `10/8` would otherwise mean 0.0.0.10/8.
    expect(() => parseAllowlist(["10/8"])).toThrow('SYNCLINE_HTTP_ALLOWLIST: "10/8" is not a host name, IP address or CIDR range');
    expect(() => parseAllowlist(["10.0.0.0/33"])).toThrow('SYNCLINE_HTTP_ALLOWLIST: "10.0.0.0/33" is not a host name, IP address or CIDR range');
    expect(() => parseAllowlist(["http://erp"])).toThrow(/"http:\/\/erp"/);
  });
});

describe("resolvePermittedAddress", () => {
  const none = parseAllowlist([]);
  const resolver =
    (answers: Record<string, string[]>): HostResolver =>
    async (host) =>
      (answers[host] ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

  it("returns IP literals without resolving them", async () => {
    const resolve: HostResolver = async () => {
      throw new Error("must not resolve");
    };
    expect(await resolvePermittedAddress("93.184.216.34", none, resolve)).toEqual({ address: "93.184.216.34", family: 4 });
    expect(await resolvePermittedAddress("[2606:4700:4700::1111]", none, resolve)).toEqual({ address: "2606:4700:4700::1111", family: 6 });
  });

  it("refuses a name that resolves only to forbidden addresses, naming host, address and setting", async () => {
    const error = await resolvePermittedAddress("metadata.evil.example", none, resolver({ "metadata.evil.example": ["169.254.169.254"] })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AddressRefusedError);
    expect((error as Error).message).toContain("metadata.evil.example resolves to 169.254.169.254, a link-local address");
    expect((error as Error).message).toContain("SYNCLINE_HTTP_ALLOWLIST");
  });

  it("connects to a permitted address when a name resolves to public and private ones", async () => {
    const resolve = resolver({ "mixed.example": ["10.0.0.1", "93.184.216.34"] });
    expect(await resolvePermittedAddress("mixed.example", none, resolve)).toEqual({ address: "93.184.216.34", family: 4 });
  });

  it("lets the allow-list permit a host name or a range", async () => {
    const resolve = resolver({ "erp.internal": ["10.1.2.3"] });
    expect(await resolvePermittedAddress("erp.internal", parseAllowlist(["erp.internal"]), resolve)).toEqual({ address: "10.1.2.3", family: 4 });
    expect(await resolvePermittedAddress("erp.internal", parseAllowlist(["10.0.0.0/8"]), resolve)).toEqual({ address: "10.1.2.3", family: 4 });
  });

  // The host as the URL parser hands it over (it turns 2130706433 and 0x7f.1 into 127.0.0.1, keeps IPv6 in brackets).
  it.each([
    ["http://127.0.0.1/", "127.0.0.1", "a loopback address"],
    ["http://2130706433/", "127.0.0.1", "a loopback address"],
    ["http://0x7f.1/", "127.0.0.1", "a loopback address"],
    ["http://0177.0.0.1/", "127.0.0.1", "a loopback address"],
    ["http://[::1]/", "::1", "a loopback address"],
    ["http://[::ffff:127.0.0.1]/", "::ffff:7f00:1", "a loopback address"],
    ["http://[64:ff9b::7f00:1]/", "64:ff9b::7f00:1", "a loopback address (embedded in an IPv6 address)"],
    ["http://[2002:7f00:1::]/", "2002:7f00:1::", "a loopback address (embedded in an IPv6 address)"],
    ["http://[64:ff9b::a9fe:a9fe]/", "64:ff9b::a9fe:a9fe", "a link-local address (embedded in an IPv6 address)"],
  ])("refuses %s without resolving it", async (url, address, reason) => {
    const resolve: HostResolver = async () => {
      throw new Error("must not resolve");
    };
    const error = await resolvePermittedAddress(new URL(url).hostname, none, resolve).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AddressRefusedError);
    expect(error).toMatchObject({ address, reason });
    expect((error as Error).message).toContain(`${address} is ${reason}`);
  });

  it("refuses IPv4 written as a number or in hex even when it does not come through the URL parser", async () => {
    const resolve: HostResolver = async () => {
      throw new Error("must not resolve");
    };
    await expect(resolvePermittedAddress("2130706433", none, resolve)).rejects.toMatchObject({ address: "127.0.0.1", reason: "a loopback address" });
    await expect(resolvePermittedAddress("0x7f.1", none, resolve)).rejects.toMatchObject({ address: "127.0.0.1", reason: "a loopback address" });
    expect(await resolvePermittedAddress("0x5db8d822", none, resolve)).toEqual({ address: "93.184.216.34", family: 4 });
  });

  it("refuses a name whose DNS answers are internal addresses wrapped in IPv6", async () => {
    const resolve = resolver({ "wrapped.evil.example": ["::ffff:127.0.0.1", "64:ff9b::a00:1", "2002:a9fe:a9fe::"] });
    const error = await resolvePermittedAddress("wrapped.evil.example", none, resolve).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AddressRefusedError);
    expect((error as Error).message).toContain("wrapped.evil.example resolves to ::ffff:127.0.0.1, a loopback address");
  });

  it("refuses localhost as the system resolver answers it", async () => {
    const error = await resolvePermittedAddress("localhost", none).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AddressRefusedError);
    expect((error as AddressRefusedError).reason).toBe("a loopback address");
    expect(await resolvePermittedAddress("localhost", parseAllowlist(["127.0.0.0/8", "::1"]))).toMatchObject({ address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) });
  });

  it("reports a name without addresses as not found", async () => {
    await expect(resolvePermittedAddress("nowhere.example", none, resolver({}))).rejects.toMatchObject({ code: "ENOTFOUND" });
  });
});
