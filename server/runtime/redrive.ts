import type { PrismaClient } from "@/server/db/generated/client";
import type { CloudEvent } from "@/server/events/event-types";
import type { FlowCatalog } from "./flow-catalog";
import { missingFlowResult, storedEvent } from "./outcome-rows";
import type { OutcomeRows } from "./outcome-writer";
import type { FlowRunResult, RunFlowInput, StepRecord } from "./run-flow";
import { redriveRows, type DeadLetterRow } from "./run-outcomes";

// Redrive: the web app marks a dead letter `redrive-requested` (see server/history/); the worker
// that owns its partition runs it again here, with its possibly edited event, resuming after the
// steps that had succeeded, with the same idempotency keys.

export type FlowRunner = (input: Omit<RunFlowInput, "services" | "signal">) => Promise<FlowRunResult>;

/** Dead letters of `partition` waiting for this worker: a redrive, or a discard "with the held events too"; oldest first. */
export function requestedDeadLetters(db: PrismaClient, partition: number, take = 200): Promise<DeadLetterRow[]> {
  return db.deadLetter.findMany({ where: { partition, status: { in: ["redrive-requested", "discard-requested"] } }, orderBy: { sequence: "asc" }, take });
}

/** Runs a dead letter again; returns the rows that record it and whether it went through. */
export async function redriveDeadLetter(dl: DeadLetterRow, catalog: FlowCatalog, run: FlowRunner): Promise<{ rows: OutcomeRows; ok: boolean; attempt: number }> {
  const flow = await catalog.version(dl.flowId, dl.flowVersion);
  const attempt = ((dl.attempts as unknown[]) ?? []).length + 1;
  const { event, traceparent, headers } = storedEvent(dl);
  const result: FlowRunResult = flow
    ? await run({
        flowId: dl.flowId, flowVersion: dl.flowVersion, document: flow.document, event: event as CloudEvent, traceparent, traceHeaders: headers,
        attempt, completedSteps: dl.steps as unknown as StepRecord[],
      })
    : missingFlowResult(dl.flowId, dl.flowVersion);
  return { ...redriveRows(dl, result, attempt, new Date()), attempt };
}
