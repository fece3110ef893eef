import { ConflictError, NotFoundError, UnprocessableError } from "@/server/domain-errors";
import type { FlowProblem } from "./validate-flow";

// The flow store's errors, as kinds of the shared domain errors so the HTTP API and tRPC map them
// without knowing the flow domain.

export class FlowNotFoundError extends NotFoundError {
  constructor(readonly flowId: string) {
    super(`No flow with id "${flowId}"`);
    this.name = "FlowNotFoundError";
  }
}

export class FlowVersionNotFoundError extends NotFoundError {
  constructor(readonly flowId: string, readonly version: number) {
    super(`Flow "${flowId}" has no version ${version}`);
    this.name = "FlowVersionNotFoundError";
  }
}

/** A save that names an older revision than the stored one would overwrite someone else's work. */
export class RevisionConflictError extends ConflictError {
  constructor(readonly expected: number, readonly actual: number, readonly updatedAt: Date) {
    super(
      `This flow was saved elsewhere (revision ${actual}, ${updatedAt.toISOString()}) after you opened it (revision ${expected}). ` +
        "Reload to see the newer version; your changes were not saved.",
    );
    this.name = "RevisionConflictError";
  }
}

/** Publishing refused: each problem becomes an issue at the node (and config field) it names. */
export class FlowHasProblemsError extends UnprocessableError {
  constructor(readonly problems: FlowProblem[]) {
    super(
      `The flow has ${problems.length} problem${problems.length === 1 ? "" : "s"} and cannot be published: ${problems
        .slice(0, 3)
        .map((p) => p.message)
        .join("; ")}${problems.length > 3 ? "; …" : ""}`,
      problems.map((p) => ({ path: p.nodeId ? `nodes.${p.nodeId}${p.field ? `.config.${p.field}` : ""}` : "", message: p.message })),
    );
    this.name = "FlowHasProblemsError";
  }
}

/** Only a published version runs: enabling a flow that has none would enable nothing. */
/** Enabling refused: there is no published version to run (HTTP 409, tRPC CONFLICT). */
export class FlowNotPublishedError extends ConflictError {
  constructor(readonly flowId: string) {
    super("This flow has never been published, so there is nothing to run yet: publish it first, then enable it.");
    this.name = "FlowNotPublishedError";
  }
}
