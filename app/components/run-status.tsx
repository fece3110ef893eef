import "./history-components.css";

// One look for a run's (or a step's) outcome everywhere: colour plus a word, never colour alone.

const tones: Record<string, string> = {
  succeeded: "badge-success",
  failed: "badge-danger",
  "dead-lettered": "badge-danger",
  retrying: "badge-warning",
  held: "badge-warning",
  suspended: "badge-warning",
  skipped: "",
  discarded: "",
  queued: "",
  running: "badge-warning",
};

export const runStatusLabels: Record<string, string> = {
  succeeded: "Succeeded",
  failed: "Failed",
  "dead-lettered": "Dead-lettered",
  retrying: "Retrying",
  held: "Held",
  skipped: "Skipped",
  discarded: "Discarded",
  suspended: "Waiting",
  queued: "Queued",
  running: "Running",
};

export function RunStatusBadge({ status }: { status: string }) {
  return <span className={`badge status-badge ${tones[status] ?? ""}`} data-status={status}>{runStatusLabels[status] ?? status}</span>;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
