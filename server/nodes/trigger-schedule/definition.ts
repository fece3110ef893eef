import { z } from "zod";
import { cloudEventSchemaFor, scheduleTickDataSchema } from "../../events/event-types";
import { templateField } from "../config-fields";
import { defineNode } from "../define-node";
import { checkCron } from "./cron";

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
  icon: "⏰",
  category: "Triggers",
  eventType: "schedule.tick",
  config: z.object({
    cron: z
      .string()
      .trim()
      .superRefine((cron, ctx) => {
        const checked = checkCron(cron);
        if (!checked.ok) ctx.addIssue({ code: "custom", message: checked.message });
      })
      .default("0 * * * *")
      .meta({
        title: "Cron expression",
        description: "minute hour day-of-month month day-of-week, e.g. 0 2 * * * for 02:00 every day, or @hourly.",
        placeholder: "0 2 * * *",
      }),
    timezone: z
      .string()
      .trim()
      .refine(isTimeZone, "not a known time zone (use names like Europe/Amsterdam)")
      .default("UTC")
      .meta({ title: "Time zone", description: "The cron expression is read in this time zone, e.g. Europe/Amsterdam." }),
    orderingKey: templateField("schedule", {
      title: "Ordering key",
      description: "Runs with the same key never overlap: a slow run delays the next one instead of racing it.",
    }),
  }),
  output: cloudEventSchemaFor("schedule.tick", scheduleTickDataSchema),
});
