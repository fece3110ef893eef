// A small parser for standard five-field cron expressions (minute hour day-of-month month
// day-of-week) and the @hourly-style macros. It exists so the editor can point at the wrong field
// before a flow is published; the scheduler uses the expanded sets it returns.

export interface CronSchedule {
  minutes: number[];
  hours: number[];
  daysOfMonth: number[];
  months: number[];
  /** 0 = Sunday … 6 = Saturday (7 is accepted and folded into 0). */
  daysOfWeek: number[];
  /**
   * Classic cron: when both day fields are restricted, a day matches if EITHER does
   * (`0 0 1 * MON` = the 1st and every Monday).
   */
  dayMatch: "day-of-month" | "day-of-week" | "either" | "any";
}

export type CronParseResult = { ok: true; schedule: CronSchedule } | { ok: false; message: string };

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] as const;
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;

const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTH_NAMES },
  { name: "day of week", min: 0, max: 7, names: DAY_NAMES },
];

export function parseCron(expression: string): CronParseResult {
  const trimmed = expression.trim();
  const expanded = trimmed.startsWith("@") ? MACROS[trimmed.toLowerCase()] : trimmed;
  if (!expanded) return { ok: false, message: `unknown macro "${trimmed}" (use @hourly, @daily, @weekly, @monthly or @yearly)` };
  const parts = expanded.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) {
    return { ok: false, message: `a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has ${parts.length}` };
  }
  const sets: number[][] = [];
  for (const [index, spec] of FIELDS.entries()) {
    const result = parseField(parts[index]!, spec);
    if (typeof result === "string") return { ok: false, message: result };
    sets.push(result);
  }
  const [minutes, hours, daysOfMonth, months, rawDaysOfWeek] = sets as [number[], number[], number[], number[], number[]];
  const daysOfWeek = [...new Set(rawDaysOfWeek.map((day) => day % 7))].sort((a, b) => a - b);
  const domRestricted = !parts[2]!.startsWith("*");
  const dowRestricted = !parts[4]!.startsWith("*");
  const dayMatch = domRestricted && dowRestricted ? "either" : domRestricted ? "day-of-month" : dowRestricted ? "day-of-week" : "any";
  return { ok: true, schedule: { minutes, hours, daysOfMonth, months, daysOfWeek, dayMatch } };
}

function parseField(field: string, spec: FieldSpec): number[] | string {
  const values = new Set<number>();
  for (const item of field.split(",")) {
    const match = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(item);
    if (!match) return `${spec.name}: "${item}" is not a value, range (1-5), list (1,3) or step (*/15)`;
    const [, range, stepText] = match;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) return `${spec.name}: a step must be at least 1`;
    let from: number;
    let to: number;
    if (range === "*") {
      from = spec.min;
      to = spec.name === "day of week" ? 6 : spec.max;
    } else {
      const [startText, endText] = range!.split("-") as [string, string | undefined];
      const start = valueOf(startText, spec);
      if (typeof start === "string") return start;
      from = start;
      if (endText !== undefined) {
        const end = valueOf(endText, spec);
        if (typeof end === "string") return end;
        if (end < start) return `${spec.name}: range ${range} runs backwards`;
        to = end;
      } else {
        // `5/15` means "from 5 to the end, every 15", as in Vixie cron.
        to = stepText === undefined ? start : spec.max;
      }
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function valueOf(text: string, spec: FieldSpec): number | string {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < spec.min || value > spec.max) return `${spec.name}: ${value} is outside ${spec.min}-${spec.max}`;
    return value;
  }
  const index = spec.names?.indexOf(text.toUpperCase() as never) ?? -1;
  if (index === -1) return `${spec.name}: "${text}" is not a number${spec.names ? ` or a name like ${spec.names[0]}` : ""}`;
  return spec.name === "month" ? index + 1 : index;
}
