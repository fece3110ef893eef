// Turns a run's records into the bars of its waterfall: when the event waited in the stream
// (queued), waited behind another event or a delay (held), and each attempt of each step, with the
// backoff before the next one. Pure, so the page only lays the bars out.

export type BarKind = "queued" | "held" | "attempt" | "backoff";

export interface WaterfallBar {
  kind: BarKind;
  start: number;
  end: number;
  /** The step the bar belongs to (attempts and backoffs). */
  nodeId?: string;
  status?: string;
  attempt?: number;
  error?: string;
  label: string;
}

export interface WaterfallRow {
  id: string;
  label: string;
  nodeId?: string;
  bars: WaterfallBar[];
}

interface StepLike { nodeId: string; kind: string; status: string; attempt: number; startedAt: Date | string; finishedAt: Date | string; error?: string }
interface AttemptLike { at: Date | string; error: string; nodeId: string | null; attempt: number; retryAt: Date | string | null }

const t = (d: Date | string) => new Date(d).getTime();

export function buildWaterfall(run: {
  startedAt: Date | string;
  finishedAt: Date | string | null;
  receivedAt?: Date | string | null;
  steps: StepLike[];
  failedAttempts: AttemptLike[];
  now: number;
}): { rows: WaterfallRow[]; start: number; end: number } {
  const runStart = t(run.startedAt);
  const rows: WaterfallRow[] = [];
  const received = run.receivedAt ? t(run.receivedAt) : NaN;
  const pre: WaterfallBar[] = [];
  if (Number.isFinite(received) && received < runStart) {
    pre.push({ kind: "queued", start: received, end: runStart, label: "Queued in the stream" });
  }
  const firstStep = run.steps.length ? Math.min(...run.steps.map((s) => t(s.startedAt))) : NaN;
  const firstFailure = run.failedAttempts.length ? t(run.failedAttempts[0]!.at) : NaN;
  const firstWork = Math.min(...[firstStep, firstFailure].filter(Number.isFinite));
  // Waiting behind an earlier event of the same key (or a delay) before any step ran.
  if (Number.isFinite(firstWork) && firstWork - runStart > 100 && run.failedAttempts.length === 0) {
    pre.push({ kind: "held", start: runStart, end: firstWork, label: "Held: waiting behind an earlier event of this key" });
  }
  if (pre.length) rows.push({ id: "event", label: "Event", bars: pre });

  let cursor = runStart;
  for (const step of run.steps) {
    const bars: WaterfallBar[] = [];
    const failures = run.failedAttempts.filter((a) => a.nodeId === step.nodeId).sort((a, b) => a.attempt - b.attempt);
    let attemptStart = failures.length ? cursor : t(step.startedAt);
    for (const failure of failures) {
      const at = t(failure.at);
      bars.push({ kind: "attempt", start: Math.min(attemptStart, at), end: at, nodeId: step.nodeId, status: "failed", attempt: failure.attempt, error: failure.error, label: `Attempt ${failure.attempt} failed` });
      if (failure.retryAt) {
        const retryAt = t(failure.retryAt);
        bars.push({ kind: "backoff", start: at, end: retryAt, nodeId: step.nodeId, attempt: failure.attempt, label: `Waited ${Math.max(0, retryAt - at)} ms before attempt ${failure.attempt + 1}` });
        attemptStart = retryAt;
      }
    }
    const failedHere = failures.some((f) => f.attempt === step.attempt);
    if (!failedHere || step.status !== "failed") {
      bars.push({
        kind: "attempt", start: t(step.startedAt), end: Math.max(t(step.finishedAt), t(step.startedAt)), nodeId: step.nodeId, status: step.status,
        attempt: step.attempt, error: step.error, label: `Attempt ${step.attempt} ${step.status}`,
      });
    }
    if (step.status === "suspended") {
      const next = run.steps[run.steps.indexOf(step) + 1];
      const until = next ? t(next.startedAt) : run.finishedAt ? t(run.finishedAt) : run.now;
      bars.push({ kind: "held", start: t(step.finishedAt), end: until, nodeId: step.nodeId, label: "Held by a delay" });
    }
    cursor = Math.max(cursor, ...bars.map((b) => b.end));
    rows.push({ id: step.nodeId, nodeId: step.nodeId, label: step.nodeId, bars });
  }
  // Failures of a step that has no record (the run is still retrying it).
  const recorded = new Set(run.steps.map((s) => s.nodeId));
  for (const nodeId of new Set(run.failedAttempts.map((a) => a.nodeId ?? "").filter((n) => n && !recorded.has(n)))) {
    const bars: WaterfallBar[] = [];
    let attemptStart = cursor;
    for (const failure of run.failedAttempts.filter((a) => a.nodeId === nodeId)) {
      const at = t(failure.at);
      bars.push({ kind: "attempt", start: Math.min(attemptStart, at), end: at, nodeId, status: "failed", attempt: failure.attempt, error: failure.error, label: `Attempt ${failure.attempt} failed` });
      if (failure.retryAt) {
        bars.push({ kind: "backoff", start: at, end: t(failure.retryAt), nodeId, attempt: failure.attempt, label: `Next attempt due after ${Math.max(0, t(failure.retryAt) - at)} ms` });
        attemptStart = t(failure.retryAt);
      }
    }
    rows.push({ id: nodeId, nodeId, label: nodeId, bars });
  }
  const all = rows.flatMap((r) => r.bars);
  const start = Math.min(runStart, ...all.map((b) => b.start));
  const end = Math.max(run.finishedAt ? t(run.finishedAt) : run.now, ...all.map((b) => b.end), start + 1);
  return { rows, start, end };
}
