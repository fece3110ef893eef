import * as z from "zod";
import { cloudEventSchemaFor, scheduleTickDataSchema } from "../../events/event-types";
import { templateField } from "../config-fields";
import { defineNode } from "../define-node";
import { cronProblem } from "./cron-expression";

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const scheduleTrigger = defineNode({
  kind: "trigger:schedule",
  version: 1,
  label: "Schedule",
  description: "Starts on a timetable, e.g. every night at 02:00 to resync prices.",
  icon: "alarm-clock",
  category: "Triggers",
  eventType: "schedule.tick",
  config: z.object({
    cron: z
      .string()
      .trim()
      .superRefine((cron, ctx) => {
        const problem = cronProblem(cron);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .default("0 * * * *")
      .meta({
        title: "Cron expression",
        description: "minute hour day-of-month month day-of-week, optionally with seconds first, e.g. 0 2 * * * for 02:00 every day, */30 * * * * * every 30 seconds, or @hourly.",
        placeholder: "0 2 * * *",
      }),
    timezone: z
      .string()
      .trim()
      .refine(isTimeZone, "not a known time zone (use names like Europe/Amsterdam)")
      .default("UTC")
      .meta({ title: "Time zone", description: "The cron expression is read in this time zone, e.g. Europe/Amsterdam." }),
    missedTicks: z
      .enum(["skip", "run-last"])
      .default("skip")
      .meta({
        title: "Missed runs",
        description: "After downtime: skip the runs that were missed (default), or run the last missed one once. Runs up to a minute late always happen.",
      }),
    orderingKey: templateField("schedule", {
      title: "Ordering key",
      description: "Runs with the same key never overlap: a slow run delays the next one instead of racing it.",
    }),
  }),
  output: cloudEventSchemaFor("schedule.tick", scheduleTickDataSchema),
});
