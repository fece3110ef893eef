import * as z from "zod";
import type { NodeIconName } from "./node-icons";

// The browser-safe half of a node type (docs/architecture.md): what the editor shows and what the runtime
// validates against. The server-side executor lives next to it in `execute.ts` and is paired by
// `kind`, never by position.

export const nodeCategories = ["Triggers", "Logic", "Data", "Product content", "Channels", "Integrations"] as const;
export type NodeCategory = (typeof nodeCategories)[number];

/** One outgoing handle of a node. Most nodes have one (`out`); condition and switch have one per branch. */
export interface NodeHandle {
  id: string;
  label: string;
}

export const DEFAULT_HANDLE: NodeHandle = { id: "out", label: "next" };

export interface NodeDefinition<Config extends z.ZodObject = z.ZodObject, Output extends z.ZodType = z.ZodType> {
  /** Stable, namespaced identifier stored in flow documents, e.g. `action:sync-channel`. */
  kind: string;
  /** Bumped when `config` changes incompatibly; saved nodes carry the version they were made with. */
  version: number;
  /**
   * How a config saved with an older version becomes one of this version, keyed by the version it
   * upgrades *from* (`1` turns a version-1 config into a version-2 one). Each step sits next to
   * the older schema it reads; a version without a step was a compatible change.
   */
  upgrades?: Record<number, (config: unknown) => unknown>;
  label: string;
  description: string;
  /** The icon shown on the node and in the palette, by name (the editor draws it; see node-icons.ts). */
  icon: NodeIconName;
  category: NodeCategory;
  /** The node's settings. Field `.meta({ title, description, expression, multiline })` drives the generated form. */
  config: Config;
  /** What the node produces for later steps (`steps.<nodeId>`). */
  output: Output;
  /** For triggers: the event type they listen to (`stock.changed`, or `*` for any custom type they name in config). */
  eventType?: string;
  /** Outgoing handles; defaults to one `out` handle. Triggers and actions alike may branch. */
  handles?: (config: z.output<Config>) => NodeHandle[];
}

export type AnyNodeDefinition = NodeDefinition<z.ZodObject, z.ZodType>;

export function defineNode<Config extends z.ZodObject, Output extends z.ZodType>(
  definition: NodeDefinition<Config, Output>,
): NodeDefinition<Config, Output> {
  return definition;
}

export function isTrigger(definition: Pick<AnyNodeDefinition, "kind">): boolean {
  return definition.kind.startsWith("trigger:");
}

/** The outgoing handles of a node with the given (already parsed) config. */
export function handlesOf(definition: AnyNodeDefinition, config: unknown): NodeHandle[] {
  if (!definition.handles) return [DEFAULT_HANDLE];
  const parsed = definition.config.safeParse(config);
  return definition.handles(parsed.success ? parsed.data : (definition.config.parse({}) as never));
}

/**
 * A saved node's config as the current version's schema expects it: every upgrade step from the
 * node's version up to the definition's, in order. The editor, validateFlow and the runtime all
 * read old nodes through this, so a flow saved years ago still validates and runs.
 */
export function upgradeConfig(definition: Pick<AnyNodeDefinition, "version" | "upgrades">, savedVersion: number, config: unknown): unknown {
  let upgraded = config;
  for (let version = savedVersion; version < definition.version; version++) {
    const step = definition.upgrades?.[version];
    if (step) upgraded = step(upgraded);
  }
  return upgraded;
}

/** The config a new node starts with: every field's default. */
export function defaultConfig(definition: AnyNodeDefinition): Record<string, unknown> {
  return definition.config.parse({}) as Record<string, unknown>;
}
