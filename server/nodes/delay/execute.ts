import "server-only";
import { defineExecutor } from "../define-executor";
import { SuspendUntil } from "@/server/outbound/execution-errors";
import { delayNode } from "./definition";
import { parseDuration } from "./duration";

// The executor does not sleep: a worker holding an event for hours would block its partition and
// lose the wait on a restart. It asks the runtime to suspend the run until the delay is over.
// runFlow records this step as "suspended" with output { delayedMs, until } and returns
// { status: "suspended", resumeAt }; the worker re-runs the flow at resumeAt with that record in
// `completedSteps`, and runFlow then continues after this node without entering it again.
//
// On a later attempt (the step was retried after its suspension was lost, e.g. a step timeout
// around it) the wait has already been taken once, so the step continues instead of waiting twice.
export const delayExecutor = defineExecutor(delayNode, async ({ config, attempt }) => {
  // The schema already refused anything parseDuration cannot read.
  const delayedMs = parseDuration(config.duration) ?? 0;
  if (attempt === 1 && delayedMs > 0) throw new SuspendUntil(new Date(Date.now() + delayedMs));
  return { output: { delayedMs } };
});
