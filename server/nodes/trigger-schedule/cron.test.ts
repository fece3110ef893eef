import { describe, expect, it } from "vitest";
import { parseCron } from "./cron";

function schedule(expression: string) {
  const result = parseCron(expression);
  if (!result.ok) throw new Error(result.message);
  return result.schedule;
}

describe("parseCron", () => {
  it("expands values, ranges, lists and steps", () => {
    const s = schedule("*/15 9-17 1,15 * MON-FRI");
    expect(s.minutes).toEqual([0, 15, 30, 45]);
    expect(s.hours).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect(s.daysOfMonth).toEqual([1, 15]);
    expect(s.months).toHaveLength(12);
    expect(s.daysOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(s.dayMatch).toBe("either");
  });

  it("understands names, 7 as Sunday, start/step and macros", () => {
    expect(schedule("0 0 * jan,Dec sun").months).toEqual([1, 12]);
    expect(schedule("0 0 * * 7").daysOfWeek).toEqual([0]);
    expect(schedule("5/20 * * * *").minutes).toEqual([5, 25, 45]);
    expect(schedule("@daily")).toEqual(schedule("0 0 * * *"));
    expect(schedule("@hourly").minutes).toEqual([0]);
    expect(schedule("0 0 * * *").dayMatch).toBe("any");
  });

  it.each([
    ["* * * *", /5 fields/],
    ["60 * * * *", /minute: 60 is outside 0-59/],
    ["* 24 * * *", /hour/],
    ["* * 0 * *", /day of month/],
    ["* * * 13 *", /month/],
    ["* * * * FUNDAY", /day of week/],
    ["5-1 * * * *", /backwards/],
    ["*/0 * * * *", /step/],
    ["@sometimes", /unknown macro/],
    ["1,,2 * * * *", /not a value/],
  ])("rejects %s", (expression, message) => {
    const result = parseCron(expression);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });
});
