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

  it("refuses entries it cannot read, naming them and the setting", () => {
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

  it("reports a name without addresses as not found", async () => {
    await expect(resolvePermittedAddress("nowhere.example", none, resolver({}))).rejects.toMatchObject({ code: "ENOTFOUND" });
  });
});
