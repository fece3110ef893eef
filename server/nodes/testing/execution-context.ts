import type { z } from "zod";
import { builtInEventTypes } from "@/server/events/event-types";
import type { ExecutionContext } from "../define-executor";
import type { AnyNodeDefinition } from "../define-node";

const TEST_TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

type Context = ExecutionContext<Record<string, unknown>>;

/**
 * The context the runtime hands an executor, for calling one directly in a test: `config` is
 * parsed by the node's own schema (defaults filled in, as the runtime does), the idempotency key
 * is built the way the runtime builds it (`<event id>:<flow id>:v<version>:<node id>`), and
 * everything else can be overridden.
 */
export function executionContext<D extends AnyNodeDefinition, Config = z.output<D["config"]>>(
  definition: D,
  config: Partial<z.input<D["config"]>> | Record<string, unknown> = {},
  overrides: Partial<Omit<Context, "config">> = {},
): ExecutionContext<Config> {
  const event = overrides.event ?? builtInEventTypes["product.created"].example;
  const nodeId = overrides.nodeId ?? "node-1";
  const flowId = overrides.flowId ?? "flow-1";
  const flowVersion = overrides.flowVersion ?? 1;
  return {
    event,
    steps: {},
    nodeId,
    flowId,
    flowVersion,
    idempotencyKey: `${event.id}:${flowId}:v${flowVersion}:${nodeId}`,
    traceparent: TEST_TRACEPARENT,
    attempt: 1,
    signal: new AbortController().signal,
    services: { httpAllowlist: [] },
    ...overrides,
    config: definition.config.parse(config) as Config,
  };
}
