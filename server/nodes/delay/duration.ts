// Delays are written the way people say them ("5m", "1h30m", "500ms") or as ISO 8601 durations
// ("PT5M"); the runtime needs milliseconds.

/** The longest delay: events wait in JetStream, and a week is far beyond any sensible delay. */
export const MAX_DELAY_MS = 7 * 24 * 60 * 60 * 1000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration, or null when the text is not a duration. */
export function parseDuration(value: number | string): number | null {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? value : null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const human = parseHuman(text);
  if (human !== null) return human;
  return parseIso(text);
}

function parseHuman(text: string): number | null {
  // Sticky: each unit must start where the previous one ended ("1h 30m", "1h30m").
  const unit = /\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*/y;
  let total = 0;
  let position = 0;
  while (position < text.length) {
    unit.lastIndex = position;
    const match = unit.exec(text);
    if (!match) return null;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    position = unit.lastIndex;
  }
  return position > 0 ? Math.round(total) : null;
}

function parseIso(text: string): number | null {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text);
  if (!match || text.toUpperCase() === "P" || /T$/i.test(text)) return null;
  const [, days, hours, minutes, seconds] = match;
  return Math.round(
    Number(days ?? 0) * UNIT_MS.d! + Number(hours ?? 0) * UNIT_MS.h! + Number(minutes ?? 0) * UNIT_MS.m! + Number(seconds ?? 0) * 1_000,
  );
}
