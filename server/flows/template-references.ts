import { visitConfigFields } from "../nodes/config-fields";
import { getNodeDefinition } from "../nodes/registry";
import type { FlowDocument } from "./flow-document";
import type { FlowTemplate } from "./templates";

// The channels and credentials a template's steps name, so that creating a flow from it asks
// which of the user's own each step uses. The template's readable placeholders ("webshop",
// "deepl") never reach a created flow: a reference the user did not choose is left empty, and
// validateFlow asks for it on the node ("choose a channel") instead of the run failing later
// with "channel webshop not found".

export type TemplateReferenceKind = "channel" | "credential";

export interface TemplateReference {
  /** `nodeId.field`, the key of the choice when creating the flow. */
  key: string;
  nodeId: string;
  field: string;
  reference: TemplateReferenceKind;
  /** "Sync to channel “amazon”": what the step is, in words. */
  label: string;
  /** The template's placeholder, a hint for which channel the step meant. */
  placeholder: string;
}

export function templateReferences(document: FlowDocument): TemplateReference[] {
  const found: TemplateReference[] = [];
  for (const node of document.nodes) {
    const definition = getNodeDefinition(node.kind);
    if (!definition) continue;
    visitConfigFields(definition.config, node.config, ({ path, meta, value }) => {
      if ((meta.reference !== "channel" && meta.reference !== "credential") || path.length !== 1 || typeof value !== "string") return;
      const field = String(path[0]);
      found.push({ key: `${node.id}.${field}`, nodeId: node.id, field, reference: meta.reference, label: `${definition.label} “${node.id}”`, placeholder: value });
    });
  }
  return found;
}

/** Unknown keys in `choices`: each names a step and field the template does not have. */
export function unknownChoices(template: FlowTemplate, choices: Record<string, string>): string[] {
  const keys = new Set(templateReferences(template.document).map((r) => r.key));
  return Object.keys(choices).filter((key) => !keys.has(key));
}

/** The template's document with each reference set to the user's choice, or left empty to be asked for. */
export function bindTemplate(document: FlowDocument, choices: Record<string, string>): FlowDocument {
  const bound = structuredClone(document);
  const references = templateReferences(document);
  for (const node of bound.nodes) {
    for (const ref of references.filter((r) => r.nodeId === node.id)) {
      node.config = { ...node.config, [ref.field]: choices[ref.key]?.trim() ?? "" };
    }
  }
  return bound;
}
