import * as z from "zod";

// The flow document (docs/architecture.md): what import/export exchange and what each flow version stores.
// Browser-safe: the editor parses with the same schema the server does.

export const FLOW_SCHEMA_VERSION = 1;

/** Node kinds are stable, namespaced strings such as `trigger:stock.changed` or `action:sync-channel`. */
export const nodeKindSchema = z
  .string()
  .regex(/^(trigger|action|logic):[a-z0-9][a-z0-9.\-]*$/, "a kind looks like trigger:stock.changed or action:sync-channel");

export const flowNodeSchema = z.object({
  id: z.string().min(1).max(100),
  kind: nodeKindSchema,
  version: z.number().int().positive(),
  config: z.record(z.string(), z.unknown()).default({}),
  position: z.object({ x: z.number().finite(), y: z.number().finite() }),
});

export const flowEdgeSchema = z.object({
  id: z.string().min(1).max(200),
  source: z.string().min(1),
  target: z.string().min(1),
  sourceHandle: z.string().min(1).nullish(),
});

const orderingPolicySchema = z.enum(["hold", "skip"]);

export const flowSettingsSchema = z
  .object({
    /** While a key has a dead letter in this flow: hold later events of that key, or skip past it. */
    orderingPolicy: orderingPolicySchema.default("hold"),
  })
  .loose();

export const flowDocumentSchema = z.object({
  schemaVersion: z.literal(FLOW_SCHEMA_VERSION),
  name: z.string().trim().min(1, "a flow needs a name").max(200),
  nodes: z.array(flowNodeSchema).max(5000),
  edges: z.array(flowEdgeSchema).max(20000),
  settings: flowSettingsSchema.default({ orderingPolicy: "hold" }),
});

export type FlowNode = z.infer<typeof flowNodeSchema>;
export type FlowEdge = z.infer<typeof flowEdgeSchema>;
export type FlowSettings = z.infer<typeof flowSettingsSchema>;
export type FlowDocument = z.infer<typeof flowDocumentSchema>;

export function emptyFlowDocument(name: string): FlowDocument {
  return { schemaVersion: FLOW_SCHEMA_VERSION, name, nodes: [], edges: [], settings: { orderingPolicy: "hold" } };
}
