// A rerun is an ordinary event with CloudEvents extension attributes that pin it to one flow and
// one version: the worker then runs only that flow at that version instead of every enabled flow
// that listens to the type (docs/decisions/0012-reruns-republish-the-event.md).

/** Extension attributes (CloudEvents names: lowercase letters and digits only). */
export const RERUN_OF = "synclinererunof";
export const RERUN_FLOW = "synclinerunflow";
export const RERUN_VERSION = "synclinerunversion";

export interface RerunTarget {
  flowId: string;
  version: number;
}

/** The flow and version an event is pinned to, or undefined for a normal event. */
export function rerunTargetOf(event: Record<string, unknown>): RerunTarget | undefined {
  const flowId = event[RERUN_FLOW];
  const version = Number(event[RERUN_VERSION]);
  if (typeof flowId !== "string" || flowId === "" || !Number.isInteger(version) || version < 1) return undefined;
  return { flowId, version };
}
