import { describe, expect, it } from "vitest";
import { describeCron } from "@/server/nodes/trigger-schedule/cron-description";
import { cronProblem, nextRunTimes } from "@/server/nodes/trigger-schedule/cron-expression";
import { planTicks } from "./plan-ticks";

const at = (iso: string) => new Date(iso);
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe("planTicks", () => {
  const base = { cron: "*/10 * * * * *", timezone: "UTC", catchUpMs: 30_000 } as const;

  it("fires every tick due since the last one, in order, and nothing twice", () => {
    const plan = planTicks({ ...base, policy: "skip", last: at("2026-03-01T10:00:00Z"), now: at("2026-03-01T10:00:25Z") });
    expect(iso(plan.fire)).toEqual(["2026-03-01T10:00:10.000Z", "2026-03-01T10:00:20.000Z"]);
    expect(plan.advanceTo?.toISOString()).toBe("2026-03-01T10:00:20.000Z");
    // Planning again from where it advanced to fires nothing until the next tick.
    expect(planTicks({ ...base, policy: "skip", last: plan.advanceTo!, now: at("2026-03-01T10:00:29Z") }).fire).toEqual([]);
    expect(iso(planTicks({ ...base, policy: "skip", last: plan.advanceTo!, now: at("2026-03-01T10:00:30Z") }).fire)).toEqual(["2026-03-01T10:00:30.000Z"]);
  });

  it("skip: drops ticks missed while nothing ran, keeps the recent (late) ones", () => {
    const plan = planTicks({ ...base, policy: "skip", last: at("2026-03-01T09:00:00Z"), now: at("2026-03-01T10:00:05Z") });
    // Cutoff 09:59:35: 09:59:40, 09:59:50, 10:00:00 are late, everything before was missed.
    expect(iso(plan.fire)).toEqual(["2026-03-01T09:59:40.000Z", "2026-03-01T09:59:50.000Z", "2026-03-01T10:00:00.000Z"]);
    expect(plan.advanceTo?.toISOString()).toBe("2026-03-01T10:00:00.000Z");
  });

  it("run-last: runs the most recent missed tick once, then the late ones", () => {
    const plan = planTicks({ cron: "0 2 * * *", timezone: "Europe/Amsterdam", catchUpMs: 60_000, policy: "run-last", last: at("2026-03-01T01:00:00Z"), now: at("2026-03-05T12:00:00Z") });
    // 02:00 in Amsterdam (UTC+1 in March) on the 5th is the last one missed.
    expect(iso(plan.fire)).toEqual(["2026-03-05T01:00:00.000Z"]);
    expect(plan.advanceTo?.toISOString()).toBe("2026-03-05T01:00:00.000Z");
    const skipped = planTicks({ cron: "0 2 * * *", timezone: "Europe/Amsterdam", catchUpMs: 60_000, policy: "skip", last: at("2026-03-01T01:00:00Z"), now: at("2026-03-05T12:00:00Z") });
    expect(skipped.fire).toEqual([]);
    expect(skipped.advanceTo?.toISOString()).toBe("2026-03-05T01:00:00.000Z");
  });
});

describe("cron expressions", () => {
  it("accepts five fields, six with seconds and macros; names what is wrong otherwise", () => {
    expect(cronProblem("0 2 * * *")).toBeNull();
    expect(cronProblem("*/5 * * * * *")).toBeNull();
    expect(cronProblem("@hourly")).toBeNull();
    expect(cronProblem("61 * * * *")).toMatch(/not a valid cron expression/);
    expect(cronProblem("every day")).toMatch(/not a valid cron expression/);
    expect(cronProblem("")).toMatch(/enter a cron expression/);
  });

  it("lists the next run times in the chosen zone and explains the expression", () => {
    const next = nextRunTimes("30 9 * * 1-5", "America/New_York", 5, at("2026-03-06T00:00:00Z"));
    // Friday the 6th, then Monday to Thursday; 09:30 New York is 14:30 UTC before DST, 13:30 after (8 March).
    expect(iso(next)).toEqual(["2026-03-06T14:30:00.000Z", "2026-03-09T13:30:00.000Z", "2026-03-10T13:30:00.000Z", "2026-03-11T13:30:00.000Z", "2026-03-12T13:30:00.000Z"]);
    expect(describeCron("30 9 * * 1-5")).toBe("At 09:30, Monday through Friday");
    expect(describeCron("* * * * * *")).toBe("Every second");
  });
});
