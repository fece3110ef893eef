import type { z } from "zod";
import { fieldLabel, userMessage } from "../validation/user-words";
import { checkExpressionSyntax } from "../expressions/expression-syntax";
import { checkTemplateSyntax } from "../expressions/template-syntax";
import { formatFieldPath, visitConfigFields, type ReferenceKind } from "../nodes/config-fields";
import { handlesOf, isTrigger, upgradeConfig, type AnyNodeDefinition } from "../nodes/define-node";
import { nodeRegistry, type NodeRegistry } from "../nodes/registry";
import { FLOW_SCHEMA_VERSION, flowDocumentSchema, type FlowDocument, type FlowEdge, type FlowNode } from "./flow-document";

// The one check of a flow (docs/architecture.md): the save mutation shows its problems, publish refuses a
// flow with any, and the runtime re-checks what it loads. Browser-safe, so the editor runs it on
// every change. Every node problem names the node by label and id, because that is what people
// see on the canvas.
//
// One trigger per flow: the runtime gives each published flow one consumer on one event type,
// and `event` in expressions must mean one thing. Two sources = two flows.

export type FlowProblemCode =
  | "invalid-document"
  | "unsupported-version"
  | "no-trigger"
  | "multiple-triggers"
  | "unknown-kind"
  | "invalid-config"
  | "invalid-expression"
  | "dangling-edge"
  | "unknown-handle"
  | "disconnected"
  | "cycle"
  | "duplicate-id";

export interface FlowProblem {
  code: FlowProblemCode;
  message: string;
  nodeId?: string;
  edgeId?: string;
  /** The config field (`url`, `retry.attempts`, `cases[0].id`), or the document path for invalid-document. */
  field?: string;
  /** For invalid-expression: offset in the field's text where the expression goes wrong. */
  position?: number;
  /** Set when the problem is only that the user has not filled in a required value yet. */
  needsInput?: ReferenceKind | "value";
}

export interface FlowValidation {
  /** The parsed document (defaults applied), or null when its shape is wrong. */
  document: FlowDocument | null;
  problems: FlowProblem[];
}

/** How messages name a node: `HTTP request "n3"`. */
function nodeName(node: Pick<FlowNode, "id" | "kind">, definition: AnyNodeDefinition | undefined): string {
  return `${definition?.label ?? node.kind} "${node.id}"`;
}

export function validateFlow(input: unknown, registry: NodeRegistry = nodeRegistry): FlowValidation {
  const versionProblem = checkSchemaVersion(input);
  if (versionProblem) return { document: null, problems: [versionProblem] };

  const parsed = flowDocumentSchema.safeParse(input);
  if (!parsed.success) return { document: null, problems: documentProblems(input, parsed.error) };

  const document = parsed.data;
  const problems: FlowProblem[] = [];
  const nodes = new Map<string, FlowNode>();
  const definitions = new Map<string, AnyNodeDefinition | undefined>();
  // Nodes whose outgoing handles are known; edges from other nodes are not handle-checked.
  const handleIds = new Map<string, Set<string>>();

  for (const node of document.nodes) {
    const definition = registry.get(node.kind);
    if (nodes.has(node.id)) {
      problems.push({
        code: "duplicate-id",
        nodeId: node.id,
        message: `${nodeName(node, definition)}: another node already has the id "${node.id}"`,
      });
      continue;
    }
    nodes.set(node.id, node);
    definitions.set(node.id, definition);
    const handles = checkNode(node, definition, problems);
    if (handles) handleIds.set(node.id, handles);
  }

  const triggers = [...nodes.values()].filter((node) => isTrigger(node));
  if (triggers.length === 0) {
    problems.push({ code: "no-trigger", message: "The flow has no trigger: add one to say which event starts it" });
  }
  for (const extra of triggers.slice(1)) {
    problems.push({
      code: "multiple-triggers",
      nodeId: extra.id,
      message: `${nodeName(extra, definitions.get(extra.id))}: a flow has one trigger, and ${nodeName(triggers[0]!, definitions.get(triggers[0]!.id))} is already it`,
    });
  }

  const edges = checkEdges(document.edges, nodes, definitions, handleIds, problems);
  checkReachability(triggers, nodes, definitions, edges, problems);
  checkCycles(document.nodes, nodes, definitions, edges, problems);

  return { document, problems };
}

function checkSchemaVersion(input: unknown): FlowProblem | null {
  if (typeof input !== "object" || input === null || !("schemaVersion" in input)) return null;
  const version = (input as { schemaVersion: unknown }).schemaVersion;
  if (typeof version !== "number" || version === FLOW_SCHEMA_VERSION) return null;
  return {
    code: "unsupported-version",
    field: "schemaVersion",
    message:
      version > FLOW_SCHEMA_VERSION
        ? `This flow was saved by a newer Syncline (document schema ${version}); this one reads schema ${FLOW_SCHEMA_VERSION}`
        : `Document schema ${version} is not supported; this Syncline reads schema ${FLOW_SCHEMA_VERSION}`,
  };
}

function documentProblems(input: unknown, error: z.ZodError): FlowProblem[] {
  const rawNodes = typeof input === "object" && input !== null ? (input as { nodes?: unknown }).nodes : undefined;
  const rawEdges = typeof input === "object" && input !== null ? (input as { edges?: unknown }).edges : undefined;
  return error.issues.map((issue) => {
    const field = formatFieldPath(issue.path) || "(document)";
    const problem: FlowProblem = { code: "invalid-document", field, message: `${field}: ${issue.message}` };
    const [collection, index] = issue.path;
    const raw = collection === "nodes" ? rawNodes : collection === "edges" ? rawEdges : undefined;
    const id = typeof index === "number" && Array.isArray(raw) ? (raw[index] as { id?: unknown } | undefined)?.id : undefined;
    if (typeof id === "string" && id.length > 0) {
      if (collection === "nodes") problem.nodeId = id;
      else problem.edgeId = id;
      problem.message = `${collection === "nodes" ? "Node" : "Edge"} "${id}": ${field}: ${issue.message}`;
    }
    return problem;
  });
}

/** Checks one node; returns its outgoing handle ids when they are known. */
function checkNode(node: FlowNode, definition: AnyNodeDefinition | undefined, problems: FlowProblem[]): Set<string> | null {
  if (!definition) {
    problems.push({
      code: "unknown-kind",
      nodeId: node.id,
      message: `${nodeName(node, definition)}: unknown node kind "${node.kind}" (made by a newer Syncline, or a removed node type)`,
    });
    return null;
  }
  const name = nodeName(node, definition);
  if (node.version > definition.version) {
    problems.push({
      code: "unsupported-version",
      nodeId: node.id,
      message: `${name}: saved with version ${node.version} of this node type; this Syncline knows up to version ${definition.version}`,
    });
    return null;
  }

  const parsed = definition.config.safeParse(upgradeConfig(definition, node.version, node.config));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = formatFieldPath(issue.path);
      problems.push({
        code: "invalid-config",
        nodeId: node.id,
        ...(field ? { field } : {}),
        message: `${name}: ${userMessage(issue, definition.config)}`,
      });
    }
    // Handles depend on the config (switch cases): with a broken config they are unknown.
    return null;
  }

  visitConfigFields(definition.config, parsed.data, ({ path, meta, value }) => {
    const field = formatFieldPath(path);
    if (typeof value !== "string") return;
    const label = fieldLabel(definition.config, path) ?? field;
    if (value.trim() === "") {
      if (meta.required) {
        problems.push({
          code: "invalid-config",
          nodeId: node.id,
          field,
          needsInput: meta.reference ?? "value",
          message: `${name}: ${label}: ${meta.requiredMessage ?? "fill this in"}`,
        });
      }
      return;
    }
    const syntax = meta.expression ? checkExpressionSyntax(value) : meta.template ? checkTemplateSyntax(value) : null;
    if (syntax) {
      problems.push({
        code: "invalid-expression",
        nodeId: node.id,
        field,
        position: syntax.position,
        message: `${name}: ${label}: ${syntax.message}${syntax.position > 0 ? ` (at position ${syntax.position})` : ""}`,
      });
    }
  });

  return new Set(handlesOf(definition, parsed.data).map((handle) => handle.id));
}

interface Adjacency {
  /** Outgoing neighbours per node id, only for edges between existing nodes. */
  next: Map<string, string[]>;
}

function checkEdges(
  edges: FlowEdge[],
  nodes: Map<string, FlowNode>,
  definitions: Map<string, AnyNodeDefinition | undefined>,
  handleIds: Map<string, Set<string>>,
  problems: FlowProblem[],
): Adjacency {
  const next = new Map<string, string[]>();
  const seenEdgeIds = new Set<string>();
  for (const edge of edges) {
    if (seenEdgeIds.has(edge.id)) {
      problems.push({ code: "duplicate-id", edgeId: edge.id, message: `Connection "${edge.id}": another connection already has this id` });
      continue;
    }
    seenEdgeIds.add(edge.id);

    const source = nodes.get(edge.source);
    const target = nodes.get(edge.target);
    if (!source || !target) {
      const missing = [!source ? `source "${edge.source}"` : null, !target ? `target "${edge.target}"` : null].filter(Boolean).join(" and ");
      problems.push({
        code: "dangling-edge",
        edgeId: edge.id,
        ...(source ? { nodeId: source.id } : {}),
        message: `Connection "${edge.id}": its ${missing} is not a node in this flow`,
      });
      continue;
    }

    const handles = handleIds.get(source.id);
    if (handles) {
      const name = nodeName(source, definitions.get(source.id));
      const list = [...handles].join(", ");
      if (edge.sourceHandle == null ? handles.size !== 1 : !handles.has(edge.sourceHandle)) {
        problems.push({
          code: "unknown-handle",
          nodeId: source.id,
          edgeId: edge.id,
          message:
            edge.sourceHandle == null
              ? `${name}: connection "${edge.id}" must start from one of its branches (${list})`
              : `${name}: connection "${edge.id}" starts from "${edge.sourceHandle}", which is not one of its outputs (${list})`,
        });
        continue;
      }
    }
    const list = next.get(source.id) ?? [];
    list.push(target.id);
    next.set(source.id, list);
  }
  return { next };
}

function checkReachability(
  triggers: FlowNode[],
  nodes: Map<string, FlowNode>,
  definitions: Map<string, AnyNodeDefinition | undefined>,
  { next }: Adjacency,
  problems: FlowProblem[],
): void {
  // Without a trigger every node would be "disconnected"; the no-trigger problem says it once.
  if (triggers.length === 0) return;
  const reached = new Set<string>(triggers.map((trigger) => trigger.id));
  const queue = triggers.map((trigger) => trigger.id);
  while (queue.length > 0) {
    const id = queue.pop()!;
    for (const target of next.get(id) ?? []) {
      if (!reached.has(target)) {
        reached.add(target);
        queue.push(target);
      }
    }
  }
  for (const node of nodes.values()) {
    if (!reached.has(node.id)) {
      problems.push({
        code: "disconnected",
        nodeId: node.id,
        message: `${nodeName(node, definitions.get(node.id))}: not connected to the trigger, so it never runs`,
      });
    }
  }
}

/** One problem per cycle (strongly connected component), naming its nodes in document order. */
function checkCycles(
  order: FlowNode[],
  nodes: Map<string, FlowNode>,
  definitions: Map<string, AnyNodeDefinition | undefined>,
  { next }: Adjacency,
  problems: FlowProblem[],
): void {
  // Tarjan's algorithm, iterative so that a 5,000-node chain cannot overflow the stack.
  const index = new Map<string, number>();
  const lowlink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  for (const start of nodes.keys()) {
    if (index.has(start)) continue;
    const work: { id: string; child: number }[] = [{ id: start, child: 0 }];
    index.set(start, counter);
    lowlink.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const targets = next.get(frame.id) ?? [];
      if (frame.child < targets.length) {
        const target = targets[frame.child++]!;
        if (!index.has(target)) {
          index.set(target, counter);
          lowlink.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ id: target, child: 0 });
        } else if (onStack.has(target)) {
          lowlink.set(frame.id, Math.min(lowlink.get(frame.id)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) lowlink.set(parent.id, Math.min(lowlink.get(parent.id)!, lowlink.get(frame.id)!));
      if (lowlink.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        const selfLoop = component.length === 1 && (next.get(frame.id) ?? []).includes(frame.id);
        if (component.length > 1 || selfLoop) components.push(component);
      }
    }
  }

  const position = new Map(order.map((node, i) => [node.id, i]));
  for (const component of components) {
    const members = component
      .sort((a, b) => position.get(a)! - position.get(b)!)
      .map((id) => nodeName(nodes.get(id)!, definitions.get(id)));
    const first = component[0]!;
    problems.push({
      code: "cycle",
      nodeId: first,
      message:
        members.length === 1
          ? `${members[0]}: connected to itself; a flow cannot loop`
          : `${members[0]}: part of a loop with ${members.slice(1).join(", ")}; a flow cannot loop`,
    });
  }
}
