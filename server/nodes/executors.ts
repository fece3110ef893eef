import "server-only";
import type { NodeExecutor } from "./define-executor";
import { nodeRegistry, type NodeRegistry } from "./registry";
import { conditionExecutor } from "./condition/execute";
import { delayExecutor } from "./delay/execute";
import { generateContentExecutor } from "./generate-content/execute";
import { httpRequestExecutor } from "./http-request/execute";
import { resizeImageExecutor } from "./resize-image/execute";
import { switchExecutor } from "./switch/execute";
import { syncChannelExecutor } from "./sync-channel/execute";
import { transformExecutor } from "./transform/execute";
import { translateExecutor } from "./translate/execute";
import { customEventExecutor } from "./trigger-custom-event/execute";
import { orderPlacedExecutor } from "./trigger-order-placed/execute";
import { priceChangedExecutor } from "./trigger-price-changed/execute";
import { productCreatedExecutor } from "./trigger-product-created/execute";
import { productDeletedExecutor } from "./trigger-product-deleted/execute";
import { productUpdatedExecutor } from "./trigger-product-updated/execute";
import { scheduleExecutor } from "./trigger-schedule/execute";
import { stockChangedExecutor } from "./trigger-stock-changed/execute";
import { webhookExecutor } from "./trigger-webhook/execute";
import { sharedExpressionSandbox } from "../expressions/expression-sandbox";

// Only the runtime loads executors: start the expression threads now, so their start-up is not
// paid inside the first event's run (where it would count against the run's inline budget).
sharedExpressionSandbox().warmUp();

// The runtime's half of the node registry (STYLE.md): executors are paired with the browser-safe
// definitions by `kind`. A kind without an executor is a node the editor offers but this worker
// cannot run yet; runFlow fails such a step permanently, naming the kind.

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
  productCreatedExecutor,
  productUpdatedExecutor,
  productDeletedExecutor,
  priceChangedExecutor,
  stockChangedExecutor,
  orderPlacedExecutor,
  customEventExecutor,
  webhookExecutor,
  scheduleExecutor,
  conditionExecutor,
  switchExecutor,
  delayExecutor,
  transformExecutor,
  httpRequestExecutor,
  syncChannelExecutor,
  translateExecutor,
  generateContentExecutor,
  resizeImageExecutor,
]);

export function getExecutor(kind: string): NodeExecutor | undefined {
  return executorRegistry.get(kind);
}
