"use client";
import { useEffect, useId, useRef, type ReactNode } from "react";

/** A modal dialog: focus moves in, Escape closes, the title names it for screen readers. */
export function Dialog({ title, onClose, children, actions, width }: {
  title: string;
  onClose: () => void;
  children?: ReactNode;
  actions?: ReactNode;
  /** CSS width for dialogs that show more than a small form (default 480 px). */
  width?: string;
}) {
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);
  // Callers pass a new onClose on every render; reading it through a ref keeps focus from jumping
  // back to the first field each time the form changes.
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  useEffect(() => {
    const first = ref.current?.querySelector<HTMLElement>("input, textarea, select, button.btn-primary, button.btn-danger, button");
    first?.focus();
    // Only the dialog on top closes: a dialog opened from another one (a new channel while creating a flow).
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      const open = document.querySelectorAll("[role='dialog']");
      if (open[open.length - 1] === ref.current) onCloseRef.current();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return (
    <div className="dialog-backdrop" onMouseDown={(e) => { if (e.target === e.currentTarget) onCloseRef.current(); }}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} ref={ref} style={width ? { width } : undefined}>
        <h2 id={titleId}>{title}</h2>
        {children}
        {actions && <div className="dialog-actions">{actions}</div>}
      </div>
    </div>
  );
}

/** "Are you sure?" for destructive actions. */
export function ConfirmDialog({ title, message, confirmLabel, onConfirm, onCancel, busy }: {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
}) {
  return (
    <Dialog
      title={title}
      onClose={onCancel}
      actions={
        <>
          <button className="btn" onClick={onCancel}>Cancel</button>
          <button className="btn btn-danger" onClick={onConfirm} disabled={busy}>{busy ? "Working…" : confirmLabel}</button>
        </>
      }
    >
      <div>{message}</div>
    </Dialog>
  );
}

/**
 * A dialog holding a small form: Enter submits, Escape cancels. The submit stops here: a dialog
 * opened from another one is portalled, and React would otherwise bubble it to the outer form.
 */
export function FormDialog({ title, children, onCancel, onSubmit, busy, submitLabel }: {
  title: string;
  children: ReactNode;
  onCancel: () => void;
  onSubmit: () => void;
  busy: boolean;
  submitLabel: string;
}) {
  return (
    <Dialog title={title} onClose={onCancel}>
      <form onSubmit={(e) => { e.preventDefault(); e.stopPropagation(); onSubmit(); }} style={{ display: "flex", flexDirection: "column", gap: 14 }}>
        {children}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onCancel}>Cancel</button>
          <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? "Working…" : submitLabel}</button>
        </div>
      </form>
    </Dialog>
  );
}
