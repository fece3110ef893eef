import { Cron } from "croner";
import { runTimesBetween } from "@/server/nodes/trigger-schedule/cron-expression";

// Which ticks of one schedule to fire now: the pure part of the scheduler, so the missed-tick
// policy can be tested without clocks.

export type MissedTickPolicy = "skip" | "run-last";

export interface TickPlan {
  /** Ticks to publish now, oldest first. */
  fire: Date[];
  /** The new "last fired" tick: the latest due tick, fired or deliberately skipped. */
  advanceTo: Date | null;
}

/**
 * Ticks due after `last` up to `now`. Those within `catchUpMs` of now are late, not missed — a
 * scheduler that restarted quickly, or a busy moment — and all fire. Older ones were missed while
 * nothing ran: `skip` drops them, `run-last` fires only the most recent of them, once.
 */
export function planTicks(input: {
  cron: string;
  timezone: string;
  last: Date;
  now: Date;
  policy: MissedTickPolicy;
  catchUpMs: number;
}): TickPlan {
  const cutoff = new Date(input.now.getTime() - input.catchUpMs);
  let lastMissed: Date | undefined;
  let from = input.last;
  if (input.last.getTime() < cutoff.getTime()) {
    // Jump over the gap instead of walking it: after a month down, an every-second schedule
    // would otherwise enumerate millions of ticks.
    const previous = new Cron(input.cron.trim(), { timezone: input.timezone, mode: "5-or-6-parts", paused: true }).previousRuns(1, cutoff)[0];
    if (previous && previous.getTime() > input.last.getTime()) lastMissed = previous;
    from = new Date(cutoff.getTime() - 1);
  }
  const late = runTimesBetween(input.cron, input.timezone, from, input.now);
  const fire = input.policy === "run-last" && lastMissed ? [lastMissed, ...late] : late;
  const advanceTo = late.at(-1) ?? lastMissed ?? null;
  return { fire, advanceTo };
}
