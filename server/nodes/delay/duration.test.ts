import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration";

describe("parseDuration", () => {
  it.each([
    [1500, 1500],
    ["1500", 1500],
    ["500ms", 500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["1h 30m", 5_400_000],
    ["2d", 172_800_000],
    ["1.5s", 1_500],
    ["PT5M", 300_000],
    ["P1DT2H", 93_600_000],
    ["PT0.5S", 500],
  ] as const)("%s → %d ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(["", "soon", "5 minutes", "m5", "P", "PT", "-5m", "5m!"])("rejects %j", (input) => {
    expect(parseDuration(input)).toBeNull();
  });

  it("rejects negative and fractional milliseconds", () => {
    expect(parseDuration(-1)).toBeNull();
    expect(parseDuration(1.5)).toBeNull();
  });
});
