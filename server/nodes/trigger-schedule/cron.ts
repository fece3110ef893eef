import { Cron } from "croner";

// Standard five-field cron expressions (minute hour day-of-month month day-of-week) and the
// @hourly-style macros, read by croner. This module adds what a config form needs: exactly five
// fields (croner also takes seconds and years), and a message that names the wrong field.

const MACROS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
const FIELDS = ["minute", "hour", "day of month", "month", "day of week"] as const;
const FIELD_RANGES = ["0-59", "0-23", "1-31", "1-12", "0-7"];

export type CronCheck = { ok: true } | { ok: false; message: string };

/**
 * Classic cron writes `5/20` for "from 5, every 20"; croner wants the range spelled out
 * (`5-59/20`), so a start/step is widened to the field's end first.
 */
function toCronerField(field: string, index: number): string {
  const end = FIELD_RANGES[index]!.split("-")[1];
  return field
    .split(",")
    .map((part) => part.replace(/^(\d+)\/(\d+)$/, `$1-${end}/$2`))
    .join(",");
}

function toCronerPattern(expression: string): string {
  const trimmed = expression.trim();
  if (trimmed.startsWith("@")) return trimmed.toLowerCase();
  return trimmed.split(/\s+/).map(toCronerField).join(" ");
}

function cronerError(pattern: string): string | undefined {
  try {
    new Cron(pattern, { paused: true });
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, "");
  }
}

export function checkCron(expression: string): CronCheck {
  const trimmed = expression.trim();
  if (trimmed.startsWith("@")) {
    return MACROS.includes(trimmed.toLowerCase())
      ? { ok: true }
      : { ok: false, message: `unknown macro "${trimmed}" (use @hourly, @daily, @weekly, @monthly or @yearly)` };
  }
  const parts = trimmed.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) {
    return { ok: false, message: `a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has ${parts.length}` };
  }
  if (!cronerError(toCronerPattern(trimmed))) return { ok: true };
  // Name the field: try each one alone, with every other field `*`.
  for (const [index, part] of parts.entries()) {
    const alone = parts.map((p, i) => (i === index ? toCronerField(p, i) : "*")).join(" ");
    const problem = cronerError(alone);
    if (!problem) continue;
    const [min, max] = FIELD_RANGES[index]!.split("-").map(Number) as [number, number];
    const outside = part.split(/[,\-/]/).find((n) => /^\d+$/.test(n) && (Number(n) < min || Number(n) > max) && !part.includes(`/${n}`));
    if (outside !== undefined) return { ok: false, message: `${FIELDS[index]}: ${outside} is outside ${min}-${max}` };
    return { ok: false, message: `${FIELDS[index]}: "${part}" is not valid: ${problem}` };
  }
  return { ok: false, message: cronerError(toCronerPattern(trimmed))! };
}

/**
 * The next `count` times the expression comes due after `from`, read in `timezone`. Like classic
 * cron, a restricted day of month and day of week match when EITHER does (`0 0 1 * MON`).
 */
export function nextCronRuns(expression: string, options: { timezone: string; from: Date; count: number }): Date[] {
  const check = checkCron(expression);
  if (!check.ok) throw new Error(check.message);
  return new Cron(toCronerPattern(expression), { paused: true, timezone: options.timezone }).nextRuns(options.count, options.from);
}
