"use client";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useState } from "react";

// A live feed (a tRPC subscription over SSE) that the person can pause. Pass the options from
// `trpc.<router>.<procedure>.subscriptionOptions(input, { onData })`; the hook enables them only
// while not paused and reports a state a page can show next to its pause toggle.

export type LiveState = "live" | "connecting" | "paused" | "error";

export function useLiveSubscription<TOutput, TError>(options: Parameters<typeof useSubscription<TOutput, TError>>[0]) {
  const [paused, setPaused] = useState(false);
  const subscription = useSubscription<TOutput, TError>({ ...options, enabled: !paused && options.enabled !== false });
  const state: LiveState = paused ? "paused" : subscription.status === "error" ? "error" : subscription.status === "pending" ? "live" : "connecting";
  return { state, paused, setPaused, error: subscription.error, reset: subscription.reset };
}

export function LiveToggle({ state, paused, onToggle }: { state: LiveState; paused: boolean; onToggle: () => void }) {
  const label = { live: "Live", connecting: "Connecting…", paused: "Paused", error: "Live updates stopped" }[state];
  return (
    <div className="live-toggle">
      <span className={`live-dot live-${state}`} aria-hidden />
      <span role="status" aria-live="polite" className="small">{label}</span>
      <button type="button" className="btn btn-sm" aria-pressed={paused} onClick={onToggle}>
        {paused ? "Resume" : "Pause"}
      </button>
    </div>
  );
}
