import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_POLICY, retryDelayMs, retryPolicyOf, retryPolicySchema } from "./retry-policy";

describe("retry policy", () => {
  it("has sensible defaults", () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ attempts: 5, initialBackoffMs: 1_000, maxBackoffMs: 60_000, jitter: 0.2 });
  });

  it("refuses a longest wait shorter than the first", () => {
    const result = retryPolicySchema.safeParse({ initialBackoffMs: 5_000, maxBackoffMs: 1_000 });
    expect(result.error?.issues[0]?.path).toEqual(["maxBackoffMs"]);
  });

  it("backs off exponentially up to the cap, jitter only shortening waits", () => {
    const policy = { ...DEFAULT_RETRY_POLICY, jitter: 0 };
    expect([1, 2, 3, 4, 7, 8, 100].map((retry) => retryDelayMs(policy, retry))).toEqual([1_000, 2_000, 4_000, 8_000, 60_000, 60_000, 60_000]);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 1, () => 1)).toBe(800);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 1, () => 0)).toBe(1_000);
  });

  it("reads the policy from a node config, falling back to the default", () => {
    expect(retryPolicyOf({ retry: { attempts: 2 } }).attempts).toBe(2);
    expect(retryPolicyOf({})).toEqual(DEFAULT_RETRY_POLICY);
    expect(retryPolicyOf({ retry: { attempts: -1 } })).toEqual(DEFAULT_RETRY_POLICY);
  });
});
