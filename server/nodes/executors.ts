import "server-only";
import type { NodeExecutor } from "./define-executor";
import { nodeRegistry, type NodeRegistry } from "./registry";
import { executorModules } from "./node-executors.generated";
import { sharedExpressionSandbox } from "../expressions/expression-sandbox";

// Only the runtime loads executors: start the expression threads now, so their start-up is not
// paid inside the first event's run (where it would count against the run's inline budget).
sharedExpressionSandbox().warmUp();

// The runtime's half of the node registry (see docs/architecture.md "Node types"): each node
// folder's `execute.ts`, listed by `npm run nodes:list` in node-executors.generated.ts, which only
// server code imports (the editor's list must not pull executor code into the browser). Executors
// are paired with the registered definitions by `kind`, never by position; registry.test.ts fails
// when a registered kind has no executor. createExecutorRegistry itself accepts a partial set
// (tests build one): runFlow fails a step without an executor permanently, naming the kind.

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

function isNodeExecutor(value: unknown): value is NodeExecutor {
  return typeof value === "object" && value !== null && "kind" in value && "definition" in value && "execute" in value;
}

/** The executors a folder's `execute.ts` exports, singly or in arrays, each once. */
function executorsExportedBy(module: object): NodeExecutor[] {
  const values = Object.values(module).flatMap((value: unknown) => (Array.isArray(value) ? value : [value]));
  return [...new Set(values.filter(isNodeExecutor))];
}

export const executorRegistry = createExecutorRegistry(Object.values(executorModules).flatMap(executorsExportedBy));

export function getExecutor(kind: string): NodeExecutor | undefined {
  return executorRegistry.get(kind);
}
