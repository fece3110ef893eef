"use client";
import { Trash2 } from "lucide-react";
import { NodeIcon } from "@/app/components/node-icon";
import { useQuery } from "@tanstack/react-query";
import { useCallback, useMemo, useRef } from "react";
import { useTRPC } from "@/app/trpc-client";
import { expressionSuggestions, type ExpressionSuggestion, type SuggestedStep } from "@/server/expressions/expression-suggestions";
import type { FlowProblem } from "@/server/flows/validate-flow";
import { getNodeDefinition } from "@/server/nodes/registry";
import { ConfigForm, addError, configJsonSchema, zodFieldErrors, type ReferenceOption } from "./config-form";
import type { AnyNodeDefinition } from "@/server/nodes/define-node";
import { useEditorCommands } from "./editor-commands";
import { useEditorStore, useEditorStoreApi } from "./editor-store";
import { upstreamNodeIds, type AppNode } from "./flow-graph";
import dynamic from "next/dynamic";
import { LoadingRows } from "@/app/components/states";

// The inspector of one selected step: its config form (with the expression fields, the channel and
// credential pickers and their dialogs) and a schedule's next run times. inspector.tsx loads it when
// a step is first selected, so opening the editor does not load it (docs/decisions/0033-editor-route-javascript.md).

// A trigger's details (a webhook's URL, a schedule's next runs in words) load when the first such
// trigger is selected; the kinds are those trigger-details.tsx has details for.
const kindsWithDetails = new Set(["trigger:webhook", "trigger:schedule"]);
const TriggerDetails = dynamic(() => import("./trigger-details").then((m) => m.TriggerDetails), {
  ssr: false,
  loading: () => <LoadingRows rows={2} label="Loading the trigger's details" />,
});

/** "HTTP request "x": url: enter a URL" → "enter a URL": next to the field the prefix is noise. */
function fieldMessage(problem: FlowProblem): string {
  if (problem.field) {
    const marker = `${problem.field}: `;
    const at = problem.message.indexOf(marker);
    if (at !== -1) return problem.message.slice(at + marker.length);
  }
  const colon = problem.message.indexOf(": ");
  return colon !== -1 ? problem.message.slice(colon + 2) : problem.message;
}

/** The event type `event` means in this flow: the trigger's, or the custom type it names. */
function triggerEventType(nodes: readonly AppNode[]): string | undefined {
  const trigger = nodes.find((n) => n.type === "trigger");
  if (!trigger) return undefined;
  const eventType = getNodeDefinition(trigger.data.kind)?.eventType;
  if (eventType === "*") {
    const configured = trigger.data.config.eventType;
    return typeof configured === "string" && configured ? configured : undefined;
  }
  return eventType;
}

/**
 * Custom event types registered in the schema registry: names for the event-type picker, and the
 * `event.data` fields of a custom-event trigger for completion. Fetched only when a step needs them.
 */
function useCustomEventTypes(enabled: boolean) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.eventTypes.list.queryOptions(), enabled, staleTime: 30_000 });
}

/** Channels and credentials for the pickers of a step that refers to them; fetched only then. */
function useReferencedRecords(definition: AnyNodeDefinition | undefined) {
  const trpc = useTRPC();
  const refs = useMemo(() => {
    const fields = definition ? Object.values(configJsonSchema(definition).properties ?? {}) : [];
    const kinds = new Set(fields.map((f) => f.reference ?? ""));
    return { channel: kinds.has("channel"), credential: kinds.has("credential") };
  }, [definition]);
  const channels = useQuery({ ...trpc.channels.list.queryOptions(), enabled: refs.channel, staleTime: 10_000 });
  const credentials = useQuery({ ...trpc.credentials.list.queryOptions(), enabled: refs.credential, staleTime: 10_000 });
  return { channels: channels.data, credentials: credentials.data };
}

export function NodeInspector({ node }: { node: Pick<AppNode, "id" | "type" | "data"> }) {
  const store = useEditorStoreApi();
  const usesCustomTypes = useEditorStore((s) => node.data.kind === "trigger:custom-event" || s.nodes.some((n) => n.data.kind === "trigger:custom-event"));
  const customTypes = useCustomEventTypes(usesCustomTypes);
  const customTypesRef = useRef(customTypes.data);
  customTypesRef.current = customTypes.data;
  const { deleteSelection } = useEditorCommands();
  const definition = getNodeDefinition(node.data.kind);
  const allProblems = useEditorStore((s) => s.problems);
  const problems = useMemo(() => allProblems.filter((p) => p.nodeId === node.id), [allProblems, node.id]);

  const errors = useMemo(() => {
    const map = definition ? zodFieldErrors(definition, node.data.config) : new Map<string, string[]>();
    for (const p of problems) {
      // Expression syntax is checked in the field itself, as it is typed.
      if (p.field && p.code !== "invalid-expression") addError(map, p.field, fieldMessage(p));
    }
    return map;
  }, [definition, node.data.config, problems]);
  const general = problems.filter((p) => !p.field);

  const getSuggestions = useCallback((): ExpressionSuggestion[] => {
    const { nodes, edges } = store.getState();
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const steps: SuggestedStep[] = upstreamNodeIds(edges, node.id)
      .map((id) => byId.get(id))
      .filter((n): n is AppNode => !!n && n.type === "action")
      .map((n) => ({ id: n.id, output: getNodeDefinition(n.data.kind)?.output }));
    const eventType = triggerEventType(nodes);
    const suggestions = expressionSuggestions(eventType, steps);
    // Built-in types bring their fields; a custom type's fields come from the schema registry.
    const custom = eventType ? customTypesRef.current?.find((t) => t.type === eventType) : undefined;
    for (const field of custom?.fields ?? []) {
      const kind = field.required ? field.type : `${field.type}, optional`;
      suggestions.push({ label: field.path, detail: field.description ? `${kind} · ${field.description}` : kind });
    }
    return suggestions;
  }, [store, node.id]);

  const references = useReferencedRecords(definition);
  const referenceOptions = useCallback(
    (reference: string): readonly ReferenceOption[] | undefined => {
      if (reference === "event-type") return customTypes.data?.map((t) => t.type);
      if (reference === "channel") return references.channels?.map((c) => ({ value: c.id, label: `${c.name} (${c.type})` }));
      if (reference === "credential") return references.credentials?.map((c) => ({ value: c.id, label: `${c.name} (${c.type})` }));
      return undefined;
    },
    [customTypes.data, references.channels, references.credentials],
  );

  const onChange = useCallback(
    (config: Record<string, unknown>, field: string) => store.getState().updateConfig(node.id, config, field),
    [store, node.id],
  );

  return (
    <div className="ed-inspector-node">
      <div className="ed-inspector-head">
        <span className="ed-inspector-icon" aria-hidden>
          <NodeIcon name={definition?.icon} unknown={!definition} size={20} />
        </span>
        <div className="ed-inspector-title">
          <h2>{definition?.label ?? "Unknown step"}</h2>
          <div className="muted small">
            <code>{node.data.kind}</code> · v{node.data.version}
          </div>
        </div>
        <button type="button" className="btn btn-ghost btn-sm" onClick={deleteSelection} aria-label={`Delete step ${node.id}`} title="Delete (Del)">
          <Trash2 size={16} aria-hidden />
        </button>
      </div>
      {definition && <p className="muted small ed-inspector-desc">{definition.description}</p>}
      <div className="ed-inspector-id small">
        Step id <code>{node.id}</code>
        {node.type === "action" && (
          <span className="muted">
            {" "}· later steps read its output as <code>steps.{node.id}</code>
          </span>
        )}
      </div>
      {general.length > 0 && (
        <div className="alert alert-danger small ed-inspector-problems" role="status">
          <ul>
            {general.map((p, i) => (
              <li key={i}>{fieldMessage(p)}</li>
            ))}
          </ul>
        </div>
      )}
      {definition ? (
        <ConfigForm
          key={node.id}
          definition={definition}
          config={node.data.config}
          errors={errors}
          onChange={onChange}
          getSuggestions={getSuggestions}
          referenceOptions={referenceOptions}
        />
      ) : (
        <p className="muted small">
          This Syncline does not know the step kind <code>{node.data.kind}</code>. Its settings are kept as they are; remove the step or open the
          flow in the Syncline that made it.
        </p>
      )}
      {kindsWithDetails.has(node.data.kind) && <TriggerDetails kind={node.data.kind} config={node.data.config} />}
    </div>
  );
}
