"use client";
import { TriangleAlert } from "lucide-react";
import type { ChangeEvent, ReactNode } from "react";

// One labelled form field for the app's dialogs: the label (with "(optional)"), the control, and
// under it the error, else a warning, else the help text, tied to the control with
// aria-describedby so a screen reader reads them with it.

export interface FieldControlProps {
  id: string;
  "aria-invalid": boolean;
  "aria-describedby": string | undefined;
}

export interface FormFieldProps {
  id: string;
  label: ReactNode;
  optional?: boolean;
  /** What is wrong (from the server), shown in place of the warning and help. */
  error?: string;
  /** A notice that does not stop saving, e.g. an address runs will refuse. */
  warning?: string;
  help?: ReactNode;
  /** The control, given the id and aria attributes it must carry. */
  children: (control: FieldControlProps) => ReactNode;
}

export function FormField({ id, label, optional, error, warning, help, children }: FormFieldProps) {
  const noteId = `${id}-note`;
  const note = error ? (
    <span className="error" id={noteId}>{error}</span>
  ) : warning ? (
    <span className="field-warning" id={noteId} data-testid={`${id}-warning`}>
      <TriangleAlert size={13} aria-hidden /> {warning}
    </span>
  ) : help ? (
    <span className="help" id={noteId}>{help}</span>
  ) : null;
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {optional ? <span className="muted"> (optional)</span> : null}
      </label>
      {children({ id, "aria-invalid": Boolean(error), "aria-describedby": note ? noteId : undefined })}
      {note}
    </div>
  );
}

/** A FormField with a text input: the common case. */
export function TextField({ value, onChange, placeholder, type, autoComplete, className = "input", ...field }: Omit<FormFieldProps, "children"> & {
  value: string;
  onChange: (value: string) => void;
  placeholder?: string;
  type?: "text" | "password" | "url";
  autoComplete?: string;
  className?: string;
}) {
  return (
    <FormField {...field}>
      {(control) => (
        <input
          {...control}
          className={className}
          type={type}
          autoComplete={autoComplete}
          placeholder={placeholder}
          value={value}
          onChange={(e: ChangeEvent<HTMLInputElement>) => onChange(e.target.value)}
        />
      )}
    </FormField>
  );
}
