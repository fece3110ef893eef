"use client";
import { useId, useState, type FormEvent, type ReactNode } from "react";

export interface FieldSpec {
  name: string;
  label: string;
  type: "text" | "email" | "password";
  autoComplete: string;
  help?: string;
  defaultValue?: string;
  readOnly?: boolean;
}

/**
 * The one form of the pages before sign-in (sign-in, setup, invitation): labelled fields,
 * per-field messages from the server, a busy state and an alert for everything else.
 */
export function CredentialsForm({ fields, submitLabel, busyLabel, onSubmit, footer }: {
  fields: FieldSpec[];
  submitLabel: string;
  busyLabel: string;
  onSubmit: (values: Record<string, string>) => Promise<{ error?: string; fieldErrors?: Record<string, string | undefined> } | void>;
  footer?: ReactNode;
}) {
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string | undefined>>({});

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const values = Object.fromEntries(fields.map((f) => [f.name, String(data.get(f.name) ?? "")]));
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const result = await onSubmit(values);
      if (result?.error) setError(result.error);
      if (result?.fieldErrors) setFieldErrors(result.fieldErrors);
    } catch (e) {
      setError(e instanceof Error ? e.message : "Something went wrong. Try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate style={{ display: "flex", flexDirection: "column", gap: 14 }}>
      {error && <div className="alert alert-danger" role="alert">{error}</div>}
      {fields.map((field) => {
        const inputId = `${id}-${field.name}`;
        const message = fieldErrors[field.name];
        return (
          <div className="field" key={field.name}>
            <label htmlFor={inputId}>{field.label}</label>
            <input
              id={inputId}
              name={field.name}
              className="input"
              type={field.type}
              autoComplete={field.autoComplete}
              defaultValue={field.defaultValue}
              readOnly={field.readOnly}
              required
              aria-invalid={message ? true : undefined}
              aria-describedby={message ? `${inputId}-error` : field.help ? `${inputId}-help` : undefined}
            />
            {message ? <span className="error" id={`${inputId}-error`}>{message}</span> : field.help && <span className="help" id={`${inputId}-help`}>{field.help}</span>}
          </div>
        );
      })}
      <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? busyLabel : submitLabel}</button>
      {footer}
    </form>
  );
}
