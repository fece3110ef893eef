import type { FlowProblem } from "./validate-flow";

// Domain errors of the flow store. tRPC and the HTTP API map them to their own status codes.

export class FlowNotFoundError extends Error {
  constructor(readonly flowId: string) {
    super(`No flow with id "${flowId}"`);
    this.name = "FlowNotFoundError";
  }
}

export class FlowVersionNotFoundError extends Error {
  constructor(readonly flowId: string, readonly version: number) {
    super(`Flow "${flowId}" has no version ${version}`);
    this.name = "FlowVersionNotFoundError";
  }
}

/** A save that names an older revision than the stored one would overwrite someone else's work. */
export class RevisionConflictError extends Error {
  constructor(readonly expected: number, readonly actual: number, readonly updatedAt: Date) {
    super(
      `This flow was saved elsewhere (revision ${actual}, ${updatedAt.toISOString()}) after you opened it (revision ${expected}). ` +
        "Reload to see the newer version; your changes were not saved.",
    );
    this.name = "RevisionConflictError";
  }
}

export class FlowHasProblemsError extends Error {
  constructor(readonly problems: FlowProblem[]) {
    super(`The flow has ${problems.length} problem${problems.length === 1 ? "" : "s"} and cannot be published: ${problems
      .slice(0, 3)
      .map((p) => p.message)
      .join("; ")}${problems.length > 3 ? "; …" : ""}`);
    this.name = "FlowHasProblemsError";
  }
}

/** Only a published version runs: enabling a flow that has none would enable nothing. */
export class FlowNotPublishedError extends Error {
  constructor(readonly flowId: string) {
    super("This flow has never been published, so there is nothing to run yet: publish it first, then enable it.");
    this.name = "FlowNotPublishedError";
  }
}
