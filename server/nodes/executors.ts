import "server-only";
import type { NodeExecutor } from "./define-executor";
import { nodeRegistry, type NodeRegistry } from "./registry";
import { conditionExecutor } from "./condition/execute";
import { customEventExecutor } from "./trigger-custom-event/execute";
import { eventTriggerExecutors } from "./event-triggers/execute";
import { delayExecutor } from "./delay/execute";
import { generateContentExecutor } from "./generate-content/execute";
import { httpRequestExecutor } from "./http-request/execute";
import { publishRabbitmqExecutor } from "./publish-rabbitmq/execute";
import { putEventBridgeExecutor } from "./put-eventbridge/execute";
import { publishEventGridExecutor } from "./publish-eventgrid/execute";
import { produceKafkaExecutor } from "./produce-kafka/execute";
import { resizeImageExecutor } from "./resize-image/execute";
import { switchExecutor } from "./switch/execute";
import { syncChannelExecutor } from "./sync-channel/execute";
import { transformExecutor } from "./transform/execute";
import { translateExecutor } from "./translate/execute";
import { scheduleExecutor } from "./trigger-schedule/execute";
import { webhookExecutor } from "./trigger-webhook/execute";
import { sharedExpressionSandbox } from "../expressions/expression-sandbox";

// Only the runtime loads executors: start the expression threads now, so their start-up is not
// paid inside the first event's run (where it would count against the run's inline budget).
sharedExpressionSandbox().warmUp();

// The runtime's half of the node registry (see docs/architecture.md): executors are paired with the
// browser-safe definitions by `kind`, never by position. This is a second import list only because
// the editor's list must not import server-only code; executors.test.ts fails when a kind of the
// registry has no executor here. createExecutorRegistry itself accepts a partial set (tests build
// one): runFlow fails a step without an executor permanently, naming the kind.

export interface ExecutorRegistry {
  readonly executors: readonly NodeExecutor[];
  get(kind: string): NodeExecutor | undefined;
}

export function createExecutorRegistry(executors: readonly NodeExecutor[], nodes: NodeRegistry = nodeRegistry): ExecutorRegistry {
  const byKind = new Map<string, NodeExecutor>();
  for (const executor of executors) {
    if (byKind.has(executor.kind)) throw new Error(`Executor for "${executor.kind}" is registered twice`);
    const definition = nodes.get(executor.kind);
    if (!definition) throw new Error(`Executor for "${executor.kind}" has no node definition in the registry`);
    // Built from another copy of the definition (e.g. a stale import): its config schema could
    // differ from the one the editor validated.
    if (definition !== executor.definition) throw new Error(`Executor for "${executor.kind}" was built from a different definition than the registered one`);
    byKind.set(executor.kind, executor);
  }
  const frozen = Object.freeze([...executors]);
  return { executors: frozen, get: (kind) => byKind.get(kind) };
}

export const executorRegistry = createExecutorRegistry([
  ...eventTriggerExecutors,
  customEventExecutor,
  webhookExecutor,
  scheduleExecutor,
  conditionExecutor,
  switchExecutor,
  delayExecutor,
  transformExecutor,
  httpRequestExecutor,
  publishRabbitmqExecutor,
  putEventBridgeExecutor,
  publishEventGridExecutor,
  produceKafkaExecutor,
  syncChannelExecutor,
  translateExecutor,
  generateContentExecutor,
  resizeImageExecutor,
]);

export function getExecutor(kind: string): NodeExecutor | undefined {
  return executorRegistry.get(kind);
}
