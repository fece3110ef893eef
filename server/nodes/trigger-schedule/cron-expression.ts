import { Cron } from "croner";

// Cron expressions of schedule triggers, read by croner: five fields (minute … day-of-week) or
// six with seconds first, @hourly-style macros, in an IANA time zone. Browser-safe: the inspector
// previews the next run times with the same code the scheduler fires by. The expression in words
// is cron-description.ts: the schedule definition (in every editor load) needs only this file.

function cronOf(expression: string, timezone: string): Cron {
  // No callback: croner only parses and computes times, it starts no timer.
  return new Cron(expression.trim(), { timezone, mode: "5-or-6-parts", paused: true });
}

/** What is wrong with the expression, in a sentence, or null when croner accepts it. */
export function cronProblem(expression: string, timezone = "UTC"): string | null {
  if (expression.trim() === "") return "enter a cron expression, e.g. 0 2 * * * for 02:00 every day";
  try {
    const cron = cronOf(expression, timezone);
    if (!cron.nextRun()) return "this expression never comes due";
    return null;
  } catch (error) {
    const reason = (error as Error).message.replace(/^CronPattern:\s*/i, "");
    return `not a valid cron expression (${reason}); use minute hour day month weekday, optionally with seconds first`;
  }
}

/** The next `count` run times strictly after `from`. */
export function nextRunTimes(expression: string, timezone: string, count: number, from: Date = new Date()): Date[] {
  return cronOf(expression, timezone).nextRuns(count, from);
}

/** Run times after `after` up to and including `until`, oldest first, at most `limit`. */
export function runTimesBetween(expression: string, timezone: string, after: Date, until: Date, limit = 10_000): Date[] {
  const cron = cronOf(expression, timezone);
  const times: Date[] = [];
  let cursor: Date | null = after;
  while (times.length < limit) {
    cursor = cron.nextRun(cursor);
    if (!cursor || cursor.getTime() > until.getTime()) break;
    times.push(cursor);
  }
  return times;
}
