"use client";
import { useEffect, useId, useState } from "react";
import "./history-components.css";

// A row of labelled filter controls. Text fields apply on Enter or when they lose focus (not on
// every keystroke, which would rewrite the URL and refetch per character); selects apply at once.

export type FilterField =
  | { kind: "text"; name: string; label: string; placeholder?: string; width?: number }
  | { kind: "select"; name: string; label: string; options: { value: string; label: string }[]; width?: number }
  | { kind: "datetime"; name: string; label: string };

export function FilterBar({
  fields,
  values,
  onChange,
  onClear,
}: {
  fields: FilterField[];
  values: Record<string, string | undefined>;
  onChange: (name: string, value: string | undefined) => void;
  onClear?: () => void;
}) {
  const active = fields.some((f) => values[f.name]);
  return (
    <div className="filter-bar" role="search" aria-label="Filters">
      {fields.map((field) => (
        <FilterControl key={field.name} field={field} value={values[field.name] ?? ""} onChange={(v) => onChange(field.name, v || undefined)} />
      ))}
      {onClear && active && (
        <button type="button" className="btn btn-sm btn-ghost filter-clear" onClick={onClear}>
          Clear filters
        </button>
      )}
    </div>
  );
}

function FilterControl({ field, value, onChange }: { field: FilterField; value: string; onChange: (value: string) => void }) {
  const id = useId();
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  return (
    <div className="field filter-field" style={"width" in field && field.width ? { width: field.width } : undefined}>
      <label htmlFor={id}>{field.label}</label>
      {field.kind === "select" ? (
        <select id={id} className="select" value={value} onChange={(e) => onChange(e.target.value)}>
          {field.options.map((o) => (
            <option key={o.value} value={o.value}>{o.label}</option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          className="input"
          type={field.kind === "datetime" ? "datetime-local" : "search"}
          placeholder={field.kind === "text" ? field.placeholder : undefined}
          value={draft}
          onChange={(e) => {
            setDraft(e.target.value);
            // Clearing a field (the search input's ×, or a picked date) applies at once.
            if (e.target.value === "" || field.kind === "datetime") onChange(e.target.value);
          }}
          onKeyDown={(e) => { if (e.key === "Enter") onChange(draft.trim()); }}
          onBlur={() => { if (draft.trim() !== value) onChange(draft.trim()); }}
        />
      )}
    </div>
  );
}
