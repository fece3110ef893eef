import "server-only";
import { randomUUID } from "node:crypto";
import type { PrismaClient } from "@/server/db/generated/client";
import { ConflictError, NotFoundError } from "@/server/domain-errors";
import { ingestEvents, type IngestOptions } from "./ingest";
import { RERUN_FLOW, RERUN_OF, RERUN_VERSION } from "./rerun-target";

export type RerunVersion = "original" | "published";

/**
 * Runs a run's event again from the start, through the normal ingest path: a new event id (so the
 * duplicate window and the processed-event check let it through, and every step gets a new
 * idempotency key — side effects happen again), the same data and ordering key, pinned to the
 * flow and to the version it ran on or the flow's current published version.
 */
export async function rerunRun(
  db: PrismaClient,
  runId: string,
  version: RerunVersion,
  options: IngestOptions = {},
): Promise<{ eventId: string; flowId: string; flowVersion: number }> {
  const run = await db.run.findUnique({ where: { id: runId }, select: { flowId: true, flowVersion: true, event: true } });
  if (!run) throw new NotFoundError(`No run with id "${runId}".`);
  const dead = run.event ? null : await db.deadLetter.findFirst({ where: { runId }, select: { event: true } });
  const original = (run.event ?? dead?.event) as Record<string, unknown> | null;
  if (!original || typeof original !== "object") {
    throw new ConflictError("This run was recorded before Syncline kept events with runs, so it cannot be rerun.");
  }
  let flowVersion = run.flowVersion;
  if (version === "published") {
    const flow = await db.flow.findUnique({ where: { id: run.flowId }, select: { publishedVersion: true } });
    if (!flow) throw new NotFoundError("The flow of this run was deleted.");
    if (flow.publishedVersion === null) throw new ConflictError("The flow has no published version; publish it first or rerun with the version the run used.");
    flowVersion = flow.publishedVersion;
  }
  // A fresh trace: the rerun is its own operation, linked to the original by synclinererunof.
  const { traceparent: _trace, ...rest } = original;
  void _trace;
  const event = { ...rest, id: `rerun-${randomUUID()}`, [RERUN_OF]: runId, [RERUN_FLOW]: run.flowId, [RERUN_VERSION]: flowVersion };
  await ingestEvents([event], options);
  return { eventId: event.id, flowId: run.flowId, flowVersion };
}
