import { describe, expect, it } from "vitest";
import { addressWarning } from "./address-warnings";

const publicOnly = async () => [{ address: "93.184.216.34", family: 4 as const }];
const resolvesPrivate = async () => [{ address: "10.1.2.3", family: 4 as const }];

describe("address warnings in the editor", () => {
  it("warns about a loopback or private address the allow-list does not list", async () => {
    expect(await addressWarning("http://127.0.0.1:8080/hook", [], publicOnly)).toMatch(/^Runs will refuse this URL: 127\.0\.0\.1 is a loopback address.*SYNCLINE_HTTP_ALLOWLIST/);
    expect(await addressWarning("https://erp.internal/api", [], resolvesPrivate)).toMatch(/erp\.internal resolves to 10\.1\.2\.3, a private address/);
  });

  it("says nothing when the allow-list permits it, for public hosts, and for hosts only known at run time", async () => {
    expect(await addressWarning("http://127.0.0.1:8080/hook", ["127.0.0.1"], publicOnly)).toBeNull();
    expect(await addressWarning("https://erp.internal/api", ["*.internal"], resolvesPrivate)).toBeNull();
    expect(await addressWarning("https://example.com/api", [], publicOnly)).toBeNull();
    expect(await addressWarning("https://{{ event.data.host }}/api", [], resolvesPrivate)).toBeNull();
    expect(await addressWarning("not a url", [], resolvesPrivate)).toBeNull();
  });
});
