import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

type Out = inferRouterOutputs<AppRouter>["deadLetters"];
type In = inferRouterInputs<AppRouter>["deadLetters"];
export type Inbox = Out["inbox"];
export type InboxGroup = Inbox["groups"][number];
export type InboxLetter = InboxGroup["letters"][number];
export type InboxFilter = In["inbox"];
export type ResolvedLetter = Out["resolved"][number];
export type LetterDetail = Out["detail"];
export type BulkPreview = Out["previewBulkRedrive"];
export type BulkSelection = In["startBulkRedrive"]["selection"];

export { errorClassLabels, errorClasses } from "@/server/history/error-classes";

/** "3 min", "2 h", "4 d": how long something has been waiting. */
export function age(since: Date | string | number, now = Date.now()): string {
  const ms = Math.max(0, now - new Date(since).getTime());
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${Math.round(ms / 3600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}
