// Retry-After (RFC 9110 §10.2.3) is either a number of seconds or an HTTP date. A 429 or 503 that
// sends it tells us when the receiver will accept the call again; retrying earlier only burns an
// attempt, so the runtime waits at least this long.

/** Milliseconds to wait, or undefined when the header is missing or unreadable. Dates in the past give 0. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  // An HTTP date always names the weekday or month; without letters Date.parse would accept
  // numbers such as "1.5", which are not valid here.
  if (!/[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
