import { type AnyNodeDefinition, type NodeCategory, nodeCategories } from "./define-node";
import { definitionModules } from "./node-types.generated";

// The one registry of node types, shared by the editor and the runtime (docs/architecture.md
// "Node types"). A node type is a folder of server/nodes/: `definition.ts` (browser-safe) exports
// its definition — or, like event-triggers, several — and `execute.ts` (server-only) its executor.
// `npm run nodes:list` writes the list of folders (node-types.generated.ts here, and
// node-executors.generated.ts for executors.ts); registry.test.ts fails when a folder is missing
// from it or a registered kind has no executor.

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

function isNodeDefinition(value: unknown): value is AnyNodeDefinition {
  return typeof value === "object" && value !== null && "kind" in value && "config" in value && "version" in value && "category" in value;
}

/**
 * The definitions a folder's `definition.ts` exports, singly or in arrays (an array first gives
 * the order of the definitions it holds), each once.
 */
function definitionsExportedBy(module: object): AnyNodeDefinition[] {
  const values = Object.values(module).flatMap((value: unknown) => (Array.isArray(value) ? value : [value]));
  return [...new Set(values.filter(isNodeDefinition))];
}

export const nodeRegistry = createRegistry(Object.values(definitionModules).flatMap(definitionsExportedBy));

export const nodeDefinitions: readonly AnyNodeDefinition[] = nodeRegistry.definitions;

export function getNodeDefinition(kind: string): AnyNodeDefinition | undefined {
  return nodeRegistry.get(kind);
}

export function nodesByCategory(): { category: NodeCategory; definitions: AnyNodeDefinition[] }[] {
  return nodeRegistry.byCategory();
}
