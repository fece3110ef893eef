import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { searchRuns, type RunFilter, type RunListItem } from "./run-search";

// The runs page's live feed: the newest page of the current filter, sent again whenever a run on
// it appears or changes. The worker writes runs with plain SQL from another process, so this
// reads the head of the list on an interval (one indexed query per open page) and only sends
// when its fingerprint changed.

const LIVE_HEAD_SIZE = 50;
const LIVE_POLL_MS = 1_000;

function fingerprint(runs: RunListItem[]): string {
  return runs.map((r) => `${r.id}:${r.status}:${r.attempts}:${r.finishedAt?.getTime() ?? ""}`).join("|");
}

function pause(ms: number, signal: AbortSignal | undefined) {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

export async function* liveRunHead(
  db: PrismaClient,
  filter: RunFilter,
  opts: { signal?: AbortSignal; intervalMs?: number } = {},
): AsyncGenerator<{ runs: RunListItem[] }> {
  let last: string | undefined;
  while (!opts.signal?.aborted) {
    const { runs } = await searchRuns(db, { ...filter, limit: LIVE_HEAD_SIZE });
    const now = fingerprint(runs);
    if (now !== last) {
      last = now;
      yield { runs };
    }
    await pause(opts.intervalMs ?? LIVE_POLL_MS, opts.signal);
  }
}
