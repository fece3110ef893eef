import { type AnyNodeDefinition, type NodeCategory, nodeCategories } from "./define-node";
import { conditionNode } from "./condition/definition";
import { customEventTrigger } from "./trigger-custom-event/definition";
import { eventTriggers } from "./event-triggers/definition";
import { delayNode } from "./delay/definition";
import { generateContentNode } from "./generate-content/definition";
import { httpRequestNode } from "./http-request/definition";
import { publishRabbitmqNode } from "./publish-rabbitmq/definition";
import { putEventBridgeNode } from "./put-eventbridge/definition";
import { publishEventGridNode } from "./publish-eventgrid/definition";
import { produceKafkaNode } from "./produce-kafka/definition";
import { resizeImageNode } from "./resize-image/definition";
import { switchNode } from "./switch/definition";
import { syncChannelNode } from "./sync-channel/definition";
import { transformNode } from "./transform/definition";
import { translateNode } from "./translate/definition";
import { scheduleTrigger } from "./trigger-schedule/definition";
import { webhookTrigger } from "./trigger-webhook/definition";

// The one list of node types (browser-safe), in palette order. Each folder under server/nodes/
// exports its definition from `definition.ts` and its executor (server-only) from `execute.ts`;
// executors.ts pairs the executors with these definitions by `kind`, and registry.test.ts checks
// that every folder is listed here and every kind has an executor.

export interface NodeRegistry {
  readonly definitions: readonly AnyNodeDefinition[];
  get(kind: string): AnyNodeDefinition | undefined;
  /** Palette order: categories as in `nodeCategories`, nodes in registration order; empty categories left out. */
  byCategory(): { category: NodeCategory; definitions: AnyNodeDefinition[] }[];
}

export function createRegistry(definitions: readonly AnyNodeDefinition[]): NodeRegistry {
  const byKind = new Map<string, AnyNodeDefinition>();
  for (const definition of definitions) {
    if (byKind.has(definition.kind)) throw new Error(`Node kind "${definition.kind}" is registered twice`);
    byKind.set(definition.kind, definition);
  }
  const frozen = Object.freeze([...definitions]);
  return {
    definitions: frozen,
    get: (kind) => byKind.get(kind),
    byCategory: () =>
      nodeCategories
        .map((category) => ({ category, definitions: frozen.filter((d) => d.category === category) }))
        .filter((group) => group.definitions.length > 0),
  };
}

export const nodeRegistry = createRegistry([
  ...eventTriggers,
  customEventTrigger,
  webhookTrigger,
  scheduleTrigger,
  conditionNode,
  switchNode,
  delayNode,
  transformNode,
  translateNode,
  resizeImageNode,
  generateContentNode,
  syncChannelNode,
  httpRequestNode,
  publishRabbitmqNode,
  putEventBridgeNode,
  publishEventGridNode,
  produceKafkaNode,
]);

export const nodeDefinitions: readonly AnyNodeDefinition[] = nodeRegistry.definitions;

export function getNodeDefinition(kind: string): AnyNodeDefinition | undefined {
  return nodeRegistry.get(kind);
}

export function nodesByCategory(): { category: NodeCategory; definitions: AnyNodeDefinition[] }[] {
  return nodeRegistry.byCategory();
}
