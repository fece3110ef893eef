"use client";

/** On/off for a flow, drawn like the editor header's switch, with its state in words beside it. */
export function EnabledSwitch({ checked, onChange, label, disabled, title }: {
  checked: boolean;
  onChange: (next: boolean) => void;
  /** The accessible name, e.g. "Enable Stock sync". */
  label: string;
  disabled?: boolean;
  title?: string;
}) {
  return (
    <span className={`ed-switch${disabled ? " is-disabled" : ""}`} title={title}>
      <button
        type="button"
        role="switch"
        aria-checked={checked}
        aria-label={label}
        className="ed-switch-track"
        disabled={disabled}
        onClick={() => onChange(!checked)}
      >
        <span className="ed-switch-thumb" />
      </button>
      <span className="ed-switch-text" aria-hidden>
        {checked ? "Enabled" : "Disabled"}
      </span>
    </span>
  );
}
