"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { FormDialog } from "@/app/components/dialog";
import { ReferencePicker } from "@/app/components/reference-picker";

/** Blank or from one of the seed document's templates; opens the editor on success. */
export function NewFlowDialog({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const templates = useQuery(trpc.flows.templates.queryOptions());
  const [templateId, setTemplateId] = useState<string>("");
  const [name, setName] = useState("");
  const create = useMutation(trpc.flows.create.mutationOptions({ onSuccess: ({ id }) => router.push(`/flows/${id}`) }));
  // Which of the user's channels and credentials each of the template's steps uses (`nodeId.field` → id).
  const [references, setReferences] = useState<Record<string, string>>({});
  const template = templates.data?.find((t) => t.id === templateId);
  const needs = template?.references ?? [];
  const needsChannels = needs.some((r) => r.reference === "channel");
  const needsCredentials = needs.some((r) => r.reference === "credential");
  const channels = useQuery({ ...trpc.channels.list.queryOptions(), enabled: needsChannels });
  const credentials = useQuery({ ...trpc.credentials.list.queryOptions(), enabled: needsCredentials });
  const optionsFor = (reference: "channel" | "credential") =>
    (reference === "channel" ? channels.data : credentials.data)?.map((c) => ({ value: c.id, label: `${c.name} (${c.type})` }));

  return (
    <FormDialog
      title="New flow"
      onCancel={onClose}
      busy={create.isPending}
      submitLabel="Create"
      onSubmit={() =>
        create.mutate({
          name: name.trim() || undefined,
          templateId: templateId || undefined,
          references: template ? Object.fromEntries(needs.filter((r) => references[r.key]).map((r) => [r.key, references[r.key]!])) : undefined,
        })
      }
    >
      <div className="field">
        <label htmlFor="new-flow-name">Name</label>
        <input id="new-flow-name" className="input" placeholder={templateId ? "Template name" : "Untitled flow"} value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <fieldset className="field" style={{ border: "none", padding: 0, margin: 0 }}>
        <legend className="label" style={{ marginBottom: 6 }}>Start from</legend>
        <div role="radiogroup" style={{ display: "flex", flexDirection: "column", gap: 6 }}>
          <TemplateOption id="" name="Blank flow" description="An empty canvas." selected={templateId === ""} onSelect={setTemplateId} />
          {templates.isPending && <div className="skeleton" style={{ height: 48 }} />}
          {templates.isError && <div className="alert alert-danger">Could not load templates: {templates.error.message}</div>}
          {templates.data?.map((t) => (
            <TemplateOption key={t.id} id={t.id} name={t.name} description={t.description} selected={templateId === t.id} onSelect={setTemplateId} />
          ))}
        </div>
      </fieldset>
      {needs.length > 0 && (
        <fieldset className="field new-flow-references" style={{ border: "none", padding: 0, margin: 0 }} data-testid="template-references">
          <legend className="label" style={{ marginBottom: 2 }}>Which channels and credentials it uses</legend>
          <p className="muted small" style={{ margin: "0 0 6px" }}>
            Choose yours for each step, or create one here. A step left open asks for it in the editor.
          </p>
          {needs.map((r) => (
            <div className="field" key={r.key}>
              <label htmlFor={`template-ref-${r.key}`}>{r.label}</label>
              <ReferencePicker
                id={`template-ref-${r.key}`}
                reference={r.reference}
                value={references[r.key] ?? ""}
                options={optionsFor(r.reference)}
                onChange={(value) => setReferences((current) => ({ ...current, [r.key]: value }))}
              />
            </div>
          ))}
        </fieldset>
      )}
      {create.isError && <div className="alert alert-danger" role="alert">{errorMessage(create.error)}</div>}
    </FormDialog>
  );
}

function TemplateOption({ id, name, description, selected, onSelect }: {
  id: string; name: string; description: string; selected: boolean; onSelect: (id: string) => void;
}) {
  return (
    <label
      className="card"
      style={{ display: "flex", gap: 10, padding: "10px 12px", cursor: "pointer", borderColor: selected ? "var(--accent)" : undefined, boxShadow: selected ? "0 0 0 2px var(--accent-soft)" : undefined }}
    >
      <input type="radio" name="template" value={id} checked={selected} onChange={() => onSelect(id)} aria-label={name} />
      <span>
        <strong>{name}</strong>
        <span className="muted small" style={{ display: "block" }}>{description}</span>
      </span>
    </label>
  );
}
