import "server-only";
import { defineExecutor } from "../define-executor";
import { scheduleTrigger } from "./definition";

// The scheduler publishes a schedule.tick event when the cron expression comes due: the trigger
// only hands it on.
export const scheduleExecutor = defineExecutor(scheduleTrigger, async ({ event }) => ({
  output: event as never,
}));
