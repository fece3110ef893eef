import { describe, expect, it } from "vitest";
import { authorizeCron } from "./serverless-drain";

describe("GET /api/cron/drain authorization", () => {
  const secret = "a-cron-secret-of-some-length";
  it("accepts exactly `Bearer <CRON_SECRET>`", () => {
    expect(authorizeCron(`Bearer ${secret}`, secret)).toBe("ok");
  });
  it("refuses a missing, wrong, truncated or differently prefixed secret", () => {
    for (const header of [null, "", `Bearer ${secret}x`, `Bearer ${secret.slice(0, -1)}`, secret, `Basic ${secret}`, `bearer  ${secret}`]) {
      expect(authorizeCron(header, secret), String(header)).toBe("denied");
    }
  });
  it("is disabled, not open, when CRON_SECRET is unset", () => {
    expect(authorizeCron("Bearer ", undefined)).toBe("unconfigured");
    expect(authorizeCron(null, "")).toBe("unconfigured");
  });
});
