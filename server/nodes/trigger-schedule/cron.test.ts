import { describe, expect, it } from "vitest";
import { checkCron, nextCronRuns } from "./cron";

const from = new Date("2026-12-01T00:00:00Z"); // a Tuesday

function next(expression: string, count = 3, timezone = "UTC") {
  return nextCronRuns(expression, { timezone, from, count }).map((d) => d.toISOString());
}

describe("cron expressions", () => {
  it("reads values, ranges, lists and steps", () => {
    expect(next("*/15 9-17 * * *", 5)).toEqual([
      "2026-12-01T09:00:00.000Z",
      "2026-12-01T09:15:00.000Z",
      "2026-12-01T09:30:00.000Z",
      "2026-12-01T09:45:00.000Z",
      "2026-12-01T10:00:00.000Z",
    ]);
    expect(next("0 12 1,15 * *", 2)).toEqual(["2026-12-01T12:00:00.000Z", "2026-12-15T12:00:00.000Z"]);
    expect(next("30 17 * * MON-FRI", 4)).toEqual([
      "2026-12-01T17:30:00.000Z",
      "2026-12-02T17:30:00.000Z",
      "2026-12-03T17:30:00.000Z",
      "2026-12-04T17:30:00.000Z",
    ]);
  });

  it("understands names, 7 as Sunday, start/step and macros", () => {
    expect(next("0 0 * jan,Dec sun", 2)).toEqual(["2026-12-06T00:00:00.000Z", "2026-12-13T00:00:00.000Z"]);
    expect(next("0 0 * * 7", 1)).toEqual(next("0 0 * * 0", 1));
    expect(next("5/20 0 * * *", 3)).toEqual(["2026-12-01T00:05:00.000Z", "2026-12-01T00:25:00.000Z", "2026-12-01T00:45:00.000Z"]);
    expect(next("@daily")).toEqual(next("0 0 * * *"));
    expect(next("@hourly", 2)).toEqual(["2026-12-01T01:00:00.000Z", "2026-12-01T02:00:00.000Z"]);
  });

  it("matches either day field when both are restricted, as classic cron does", () => {
    // The 1st of the month OR any Monday.
    expect(next("0 0 1 * MON", 3)).toEqual(["2026-12-07T00:00:00.000Z", "2026-12-14T00:00:00.000Z", "2026-12-21T00:00:00.000Z"]);
    expect(nextCronRuns("0 0 1 * MON", { timezone: "UTC", from: new Date("2026-12-29T00:00:00Z"), count: 1 })[0]!.toISOString()).toBe("2027-01-01T00:00:00.000Z");
  });

  it("reads the expression in the given time zone", () => {
    expect(next("0 2 * * *", 1, "Europe/Amsterdam")).toEqual(["2026-12-01T01:00:00.000Z"]);
  });

  it.each([
    ["* * * *", /5 fields/],
    ["0 * * * * *", /5 fields/],
    ["60 * * * *", /^minute: 60 is outside 0-59$/],
    ["* 24 * * *", /^hour: /],
    ["* * 0 * *", /^day of month: /],
    ["* * * 13 *", /^month: /],
    ["* * * * FUNDAY", /^day of week: /],
    ["5-1 * * * *", /^minute: .*larger/],
    ["*/0 * * * *", /^minute: .*stepping/],
    ["@sometimes", /unknown macro/],
    ["1,,2 * * * *", /^minute: /],
  ])("rejects %s, naming the field", (expression, message) => {
    const result = checkCron(expression);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it("accepts what it can run", () => {
    for (const expression of ["0 2 * * *", "@weekly", "*/5 * * * *", "0 0 28 * *"]) expect(checkCron(expression), expression).toEqual({ ok: true });
  });
});
