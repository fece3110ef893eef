"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "@/app/trpc-client";
import { FormDialog } from "@/app/components/dialog";

/** Blank or from one of the seed document's templates; opens the editor on success. */
export function NewFlowDialog({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const templates = useQuery(trpc.flows.templates.queryOptions());
  const [templateId, setTemplateId] = useState<string>("");
  const [name, setName] = useState("");
  const create = useMutation(trpc.flows.create.mutationOptions({ onSuccess: ({ id }) => router.push(`/flows/${id}`) }));

  return (
    <FormDialog
      title="New flow"
      onCancel={onClose}
      busy={create.isPending}
      submitLabel="Create"
      onSubmit={() => create.mutate({ name: name.trim() || undefined, templateId: templateId || undefined })}
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
