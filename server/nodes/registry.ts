import { type AnyNodeDefinition, type NodeCategory, nodeCategories } from "./define-node";
import { conditionNode } from "./condition/definition";
import { delayNode } from "./delay/definition";
import { generateContentNode } from "./generate-content/definition";
import { httpRequestNode } from "./http-request/definition";
import { resizeImageNode } from "./resize-image/definition";
import { switchNode } from "./switch/definition";
import { syncChannelNode } from "./sync-channel/definition";
import { transformNode } from "./transform/definition";
import { translateNode } from "./translate/definition";
import { customEventTrigger } from "./trigger-custom-event/definition";
import { orderPlacedTrigger } from "./trigger-order-placed/definition";
import { priceChangedTrigger } from "./trigger-price-changed/definition";
import { productCreatedTrigger } from "./trigger-product-created/definition";
import { productDeletedTrigger } from "./trigger-product-deleted/definition";
import { productUpdatedTrigger } from "./trigger-product-updated/definition";
import { scheduleTrigger } from "./trigger-schedule/definition";
import { stockChangedTrigger } from "./trigger-stock-changed/definition";
import { webhookTrigger } from "./trigger-webhook/definition";

// The one list of node types (browser-safe). Adding a node type = one folder + one line here.
// The runtime builds its own executor registry and pairs executors with these by `kind`.

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
  productCreatedTrigger,
  productUpdatedTrigger,
  productDeletedTrigger,
  priceChangedTrigger,
  stockChangedTrigger,
  orderPlacedTrigger,
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
]);

export const nodeDefinitions: readonly AnyNodeDefinition[] = nodeRegistry.definitions;

export function getNodeDefinition(kind: string): AnyNodeDefinition | undefined {
  return nodeRegistry.get(kind);
}

export function nodesByCategory(): { category: NodeCategory; definitions: AnyNodeDefinition[] }[] {
  return nodeRegistry.byCategory();
}
