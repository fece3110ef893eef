"use client";
import CodeMirror, { EditorView } from "@uiw/react-codemirror";
import { json } from "@codemirror/lang-json";
import { useMemo } from "react";

// The JSON editor for a dead letter's event. Loaded with next/dynamic from the inbox only, so
// CodeMirror never weighs on other routes (the editor route has a bundle budget).

export default function PayloadEditor({ value, onChange, label, invalid }: {
  value: string;
  onChange: (value: string) => void;
  label: string;
  invalid: boolean;
}) {
  const extensions = useMemo(
    () => [json(), EditorView.lineWrapping, EditorView.contentAttributes.of({ "aria-label": label, "aria-invalid": String(invalid) })],
    [label, invalid],
  );
  return (
    <div style={{ border: `1px solid ${invalid ? "var(--danger)" : "var(--border-strong)"}`, borderRadius: 8, overflow: "hidden" }}>
      <CodeMirror value={value} onChange={onChange} extensions={extensions} maxHeight="320px" minHeight="160px" basicSetup={{ foldGutter: false }} />
    </div>
  );
}
