import * as z from "zod";

// The answer of GET /api/cron/drain (server/runtime/partition-drain.ts builds it).
export const drainReportSchema = z.object({
  scheduleTicksFired: z.number().int().meta({ description: "Schedule-trigger ticks that were due and were published (a tick another drain or worker published too is stored once)" }),
  partitionsDrained: z.array(z.number().int()).meta({ description: "Partitions in which this drain ran events or held events" }),
  partitionsBusy: z.array(z.number().int()).meta({ description: "Partitions left alone because a worker or another drain holds their lease" }),
  eventsProcessed: z.number().int().meta({ description: "Stream events committed" }),
  heldEventsRun: z.number().int().meta({ description: "Held events (due retries, delays, events queued behind them) and redrives that ran" }),
  testRunsRun: z.number().int().meta({ description: "Test events (the editor's Test event button) that this drain ran" }),
  budgetExhausted: z.boolean().meta({ description: "The time budget (SYNCLINE_CRON_DRAIN_BUDGET_MS) ran out while work was left: call again" }),
});
