import cronstrue from "cronstrue";

// A schedule's cron expression in words, for the inspector (cronstrue). Apart from
// cron-expression.ts so that the schedule definition, which every editor load holds, does not
// bring cronstrue with it (docs/decisions/0033-editor-route-javascript.md).

/** The expression in words, e.g. "At 02:00" or "Every second". */
export function describeCron(expression: string): string {
  try {
    return cronstrue.toString(expression.trim(), { use24HourTimeFormat: true, verbose: false });
  } catch {
    return "";
  }
}
