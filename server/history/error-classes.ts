// How the inbox groups a dead letter's last error. Browser-safe: the inbox page labels its
// filter with these.

export const errorClasses = ["client-error", "server-error", "timeout", "network", "invalid-data", "other"] as const;
export type ErrorClass = (typeof errorClasses)[number];
export const errorClassLabels: Record<ErrorClass, string> = {
  "client-error": "Refused by the system (4xx)",
  "server-error": "System error (5xx)",
  timeout: "Timed out",
  network: "Could not connect",
  "invalid-data": "Invalid data or config",
  other: "Other",
};

/**
 * Groups a letter's last error the way an operator triages: the outside system refused it (fix
 * the payload), it broke (redrive later), or our side could not use the data. Derived from the
 * message so old letters classify too.
 */
export function errorClassOf(error: string): ErrorClass {
  const status = /\b(?:HTTP|status|answered)\s*(\d{3})\b/i.exec(error)?.[1];
  if (status?.startsWith("4")) return "client-error";
  if (status?.startsWith("5")) return "server-error";
  if (/timed? ?out|timeout|ETIMEDOUT/i.test(error)) return "timeout";
  if (/ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|socket|network|fetch failed|connect/i.test(error)) return "network";
  if (/schema|invalid|required|expected|expression|config|not allowed/i.test(error)) return "invalid-data";
  return "other";
}
