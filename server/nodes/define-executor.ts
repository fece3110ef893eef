import "server-only";
import type { z } from "zod";
import type { AnyNodeDefinition, NodeDefinition } from "./define-node";
import type { CloudEvent } from "../events/event-types";
import type { PrismaClient } from "../db/generated/client";
import type { NatsConnection } from "@nats-io/transport-node";
import { ConflictError, InvalidInputError, NotFoundError } from "../domain-errors";
import { PermanentError, TransientError } from "../outbound/execution-errors";
import { isDryRun } from "../outbound/dry-run";
import { recordOutsideFailure, recordOutsideSuccess, type OutsideSystemRef } from "../outside-systems/outside-system-health";

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
  /**
   * Aborted when the worker shuts down or the step times out. The runtime makes it on first read
   * (most steps never read it), so the context is one object per step to pass on as it is, not to copy.
   */
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
  /** The outside system a step of this node reaches, when the node type declares one (a method: configs are checked by kind). */
  outsideSystem?(config: Config): OutsideSystemRef | null;
}

/**
 * What a node's own `execute` gets: the step's context and `reach`, which every call to the step's
 * outside system goes through. Only what happens inside `reach` says something about that system:
 * a config the user must fix (no topic, a credential of the wrong type) fails the step without
 * marking a healthy broker or channel "error".
 */
export interface StepContext<Config> extends ExecutionContext<Config> {
  /** Makes a call to the outside system this step declared and records its outcome on the system's health. */
  reach<T>(call: () => Promise<T>): Promise<T>;
}

export interface ExecutorOptions<Config> {
  /**
   * Opt in to outside system health (docs/decisions/0026-outside-system-health.md): which system
   * (a channel, or the system behind a credential) a step with this config reaches. Every live
   * call the step makes through `context.reach` then has its outcome recorded on it: an outage sign (TransientError with systemDown) marks
   * it down and the monitoring page shows it holding the key's events; the next success clears it.
   * One line per node type, e.g. `{ outsideSystem: (c) => ({ kind: "credential", id: c.credentialId }) }`.
   */
  outsideSystem?: (config: Config) => OutsideSystemRef | null;
}

export function defineExecutor<C extends z.ZodObject, O extends z.ZodType>(
  definition: NodeDefinition<C, O>,
  execute: (context: StepContext<z.output<C>>) => Promise<ExecutionResult<z.output<O>>>,
  options: ExecutorOptions<z.output<C>> = {},
): NodeExecutor<z.output<C>, z.output<O>> {
  const { outsideSystem } = options;
  return {
    kind: definition.kind,
    definition: definition as unknown as AnyNodeDefinition,
    ...(outsideSystem ? { outsideSystem } : {}),
    execute: async (context) => {
      // The step's own context gets `reach` rather than being copied: a copy would read (and so
      // make) the signal the runtime makes only when something reads it (run-flow.ts).
      const step = context as StepContext<z.output<C>>;
      step.reach = async <T>(call: () => Promise<T>): Promise<T> => {
        let result: T;
        try {
          result = await call();
        } catch (error) {
          await recordHealth(context, outsideSystem, error);
          throw error;
        }
        await recordHealth(context, outsideSystem, null);
        return result;
      };
      try {
        return await execute(step);
      } catch (error) {
        return asExecutionFailure(error);
      }
    },
  };
}

/**
 * Records a step's outcome on the outside system it declared. Nothing is recorded in a dry run
 * (nothing was sent), on shutdown (says nothing about the system) or without a database; a failed
 * health write never fails the step.
 */
async function recordHealth<C>(context: ExecutionContext<C>, outsideSystem: ExecutorOptions<C>["outsideSystem"], error: unknown): Promise<void> {
  const db = context.services.db;
  if (!outsideSystem || !db || isDryRun()) return;
  const system = outsideSystem(context.config);
  if (!system) return;
  if (error === null) {
    await recordOutsideSuccess(db, system).catch(() => undefined);
    return;
  }
  if (context.signal.aborted) {
    // The step's deadline (an outage sign: the system did not answer) counts; a shutdown does not.
    const reason: unknown = context.signal.reason;
    if (!(reason instanceof TransientError && reason.systemDown)) return;
    error = reason;
  }
  const message = error instanceof Error ? error.message : String(error);
  const down = error instanceof TransientError && error.systemDown;
  await recordOutsideFailure(db, system, message, { down }).catch(() => undefined);
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
