import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import type { FlowDocument } from "@/server/flows/flow-document";
import { NotFoundError } from "@/server/domain-errors";
import { flowNames } from "@/server/history/run-history";
import { runListItemSelect, toRunListItem, type RunListItem } from "./run-search";

// The run detail page's read model: one run with its steps, every failed attempt, the event as the
// worker read it, the broker facts and the flow version's graph, so the page needs one call.

type Db = PrismaClient;

/** One step as the runner recorded it (server/runtime/run-flow.ts StepRecord), dates parsed. */
export interface RunStep {
  nodeId: string;
  kind: string;
  /** "running": a test run's step in progress (test runs record progress as it happens). */
  status: "succeeded" | "failed" | "skipped" | "suspended" | "running";
  attempt: number;
  startedAt: Date;
  finishedAt: Date;
  input?: unknown;
  output?: unknown;
  branch?: string | null;
  error?: string;
  idempotencyKey?: string;
}

/** A failed attempt before the outcome; `retryAt` is when the next attempt was due. */
export interface FailedAttempt {
  at: Date;
  error: string;
  transient: boolean;
  nodeId: string | null;
  attempt: number;
  retryAt: Date | null;
}

export interface BrokerFacts {
  stream: string | null;
  sequence: string;
  partition: number | null;
  deliveryCount: number;
  worker: string | null;
}

export interface RunDetailView extends RunListItem {
  steps: RunStep[];
  failedAttempts: FailedAttempt[];
  /** The CloudEvent; null for runs recorded before Syncline kept it. */
  event: unknown;
  headers: Record<string, string>;
  broker: BrokerFacts;
  /** The graph of the version it ran on; null when that version is gone. */
  flowDocument: Pick<FlowDocument, "nodes" | "edges"> | null;
  /** The flow's current published version (null: unpublished or deleted). */
  publishedVersion: number | null;
  deadLetter: { id: string; status: string } | null;
  /** A test run's mode ("dry": outside calls recorded, not sent); null for production runs. */
  testMode: "dry" | "live" | null;
}

const record = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const dateOr = (v: unknown, fallback: Date): Date => {
  const d = typeof v === "string" || typeof v === "number" ? new Date(v) : fallback;
  return Number.isNaN(d.getTime()) ? fallback : d;
};

function toSteps(json: unknown, fallback: Date): RunStep[] {
  if (!Array.isArray(json)) return [];
  return json.map((raw) => {
    const s = record(raw);
    return {
      ...(s as object),
      nodeId: String(s.nodeId ?? ""),
      kind: String(s.kind ?? ""),
      status: (["succeeded", "failed", "skipped", "suspended", "running"].includes(String(s.status)) ? s.status : "failed") as RunStep["status"],
      attempt: Number(s.attempt ?? 1),
      startedAt: dateOr(s.startedAt, fallback),
      finishedAt: dateOr(s.finishedAt, fallback),
    };
  });
}

function toFailedAttempts(json: unknown, fallback: Date): FailedAttempt[] {
  if (!Array.isArray(json)) return [];
  return json.map((raw, i) => {
    const e = record(raw);
    return {
      at: dateOr(e.at, fallback),
      error: String(e.error ?? ""),
      transient: e.transient === true,
      nodeId: typeof e.nodeId === "string" ? e.nodeId : null,
      attempt: Number(e.attempt ?? i + 1),
      retryAt: e.retryAt === undefined ? null : dateOr(e.retryAt, fallback),
    };
  });
}

export async function getRunDetail(db: Db, id: string): Promise<RunDetailView> {
  const row = await db.run.findUnique({
    where: { id },
    select: { ...runListItemSelect, steps: true, errors: true, event: true, headers: true, stream: true, partition: true, deliveryCount: true, worker: true, testDocument: true, testMode: true },
  });
  if (!row) throw new NotFoundError(`No run with id "${id}".`);
  const [names, version, flow, deadLetter] = await Promise.all([
    flowNames(db, [row.flowId]),
    db.flowVersion.findUnique({ where: { flowId_version: { flowId: row.flowId, version: row.flowVersion } }, select: { document: true } }),
    db.flow.findUnique({ where: { id: row.flowId }, select: { publishedVersion: true } }),
    db.deadLetter.findFirst({ where: { runId: id }, orderBy: { createdAt: "desc" }, select: { id: true, status: true, event: true, headers: true } }),
  ]);
  // A test run ran the editor's draft, kept on the run itself.
  const document = record(row.testDocument ?? version?.document);
  const headers = record(row.headers) as Record<string, string>;
  return {
    ...toRunListItem(row, names),
    steps: toSteps(row.steps, row.startedAt),
    failedAttempts: toFailedAttempts(row.errors, row.startedAt),
    // Runs written before the worker kept the event still have it on their dead letter, if any.
    event: row.event ?? deadLetter?.event ?? null,
    headers: Object.keys(headers).length ? headers : (record(deadLetter?.headers) as Record<string, string>),
    broker: { stream: row.stream, sequence: row.sequence.toString(), partition: row.partition, deliveryCount: row.deliveryCount, worker: row.worker },
    flowDocument: Array.isArray(document.nodes) && Array.isArray(document.edges) ? (document as unknown as FlowDocument) : null,
    publishedVersion: flow?.publishedVersion ?? null,
    deadLetter: deadLetter ? { id: deadLetter.id, status: deadLetter.status } : null,
    testMode: row.testMode === "dry" || row.testMode === "live" ? row.testMode : null,
  };
}
