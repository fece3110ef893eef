import "server-only";
import type { z } from "zod";
import type { AnyNodeDefinition, NodeDefinition } from "./define-node";
import type { CloudEvent } from "../events/event-types";
import type { PrismaClient } from "../db/generated/client";
import type { NatsConnection } from "@nats-io/transport-node";
import { ConflictError, InvalidInputError, NotFoundError } from "../domain-errors";
import { PermanentError } from "../outbound/execution-errors";

// The server-side half of a node type: what it does when a flow runs. Paired with its
// browser-safe definition by `kind` (docs/architecture.md); `execute` is typed from the definition's schemas.

export interface ExecutionContext<Config> {
  /** The node's config, already parsed by its zod schema (defaults applied). */
  config: Config;
  event: CloudEvent;
  /** Outputs of the steps that ran before this one, by node id. */
  steps: Record<string, unknown>;
  nodeId: string;
  flowId: string;
  flowVersion: number;
  /**
   * Stable per (event, flow version, node): the same on every retry and redrive, so the outside
   * system can drop repeats. Send it as `Idempotency-Key` (or the platform's equivalent).
   */
  idempotencyKey: string;
  /** W3C traceparent of this run, to pass on to outside systems. */
  traceparent: string;
  /** 1 on the first try. */
  attempt: number;
  /** Aborted when the worker shuts down or the step times out. */
  signal: AbortSignal;
  services: ExecutionServices;
}

export interface ExecutionServices {
  /** Hosts / CIDRs that outgoing HTTP may reach although private or loopback (SYNCLINE_HTTP_ALLOWLIST). */
  httpAllowlist: string[];
  /** The database, for actions that read credentials and channels or record channel health. */
  db?: PrismaClient;
  /** The NATS connection, for actions that store files (object store). */
  nats?: NatsConnection;
  /** SYNCLINE_PREFIX: names of buckets and streams the actions create. */
  prefix?: string;
}

export interface ExecutionResult<Output> {
  output: Output;
  /**
   * Which outgoing handle to follow (condition: "true"/"false"; switch: a case id or "default").
   * Omitted: every outgoing edge. `null`: stop here (e.g. a trigger whose filter did not match).
   */
  branch?: string | null;
}

export interface NodeExecutor<Config = unknown, Output = unknown> {
  kind: string;
  definition: AnyNodeDefinition;
  execute(context: ExecutionContext<Config>): Promise<ExecutionResult<Output>>;
}

export function defineExecutor<C extends z.ZodObject, O extends z.ZodType>(
  definition: NodeDefinition<C, O>,
  execute: (context: ExecutionContext<z.output<C>>) => Promise<ExecutionResult<z.output<O>>>,
): NodeExecutor<z.output<C>, z.output<O>> {
  return {
    kind: definition.kind,
    definition: definition as unknown as AnyNodeDefinition,
    execute: (context) => execute(context).catch(asExecutionFailure),
  };
}

/**
 * A domain error from a store (a deleted channel, an unreadable credential) is a failure no
 * retry can fix: it reaches the runtime as a PermanentError with the same message.
 */
function asExecutionFailure(error: unknown): never {
  if (error instanceof NotFoundError || error instanceof ConflictError || error instanceof InvalidInputError) {
    throw new PermanentError(error.message, { cause: error });
  }
  throw error;
}
