import "server-only";
import { evaluateCondition } from "../expressions/evaluate-condition";
import type { ExecutionContext, ExecutionResult } from "./define-executor";

/**
 * What every event trigger does: hand the event to the steps after it, or stop the run
 * (`branch: null`, the run counts as skipped) when its filter is false. An empty filter lets
 * every event through.
 */
export async function passEventThroughFilter<Output>(context: ExecutionContext<{ filter: string }>): Promise<ExecutionResult<Output>> {
  const { config, event, steps } = context;
  const output = event as Output;
  if (config.filter.trim() === "") return { output };
  return (await evaluateCondition(config.filter, { event, steps })) ? { output } : { output, branch: null };
}
