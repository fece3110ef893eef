"use client";
import { useId, useMemo, useRef, useState, type KeyboardEvent } from "react";
import type { ExpressionSuggestion } from "@/server/expressions/expression-suggestions";

// A text field with completion for JSONata paths (`event.data.sku`, `steps.http_request_1.status`).
// In template fields completion is offered only inside a `{{ … }}` placeholder.

const MAX_SHOWN = 8;
const PATH_TAIL = /[A-Za-z0-9_$.`\[\]]*$/;

export type ExpressionMode = "expression" | "template";

interface CompletionContext {
  /** Start of the path being typed (the text to replace runs from here to the caret). */
  from: number;
  token: string;
}

function completionContext(value: string, caret: number, mode: ExpressionMode): CompletionContext | null {
  const before = value.slice(0, caret);
  if (mode === "template") {
    const open = before.lastIndexOf("{{");
    if (open === -1 || before.indexOf("}}", open) !== -1) return null;
  }
  const token = PATH_TAIL.exec(before)?.[0] ?? "";
  return { from: caret - token.length, token };
}

function matches(suggestions: readonly ExpressionSuggestion[], token: string): ExpressionSuggestion[] {
  const needle = token.toLowerCase();
  const starts: ExpressionSuggestion[] = [];
  const contains: ExpressionSuggestion[] = [];
  for (const s of suggestions) {
    const label = s.label.toLowerCase();
    if (label === needle) continue;
    if (label.startsWith(needle)) starts.push(s);
    else if (needle.length > 1 && label.includes(needle)) contains.push(s);
  }
  // Shallow paths first: `event.data` before `event.data.lines[0].sku`.
  starts.sort((a, b) => a.label.split(".").length - b.label.split(".").length || a.label.localeCompare(b.label));
  return [...starts, ...contains].slice(0, MAX_SHOWN);
}

export function ExpressionInput({
  id,
  value,
  onChange,
  mode,
  multiline,
  placeholder,
  describedBy,
  invalid,
  getSuggestions,
}: {
  id: string;
  value: string;
  onChange: (value: string) => void;
  mode: ExpressionMode;
  multiline?: boolean;
  placeholder?: string;
  describedBy?: string;
  invalid?: boolean;
  /** Called lazily, on focus: building the list walks JSON Schemas. */
  getSuggestions: () => ExpressionSuggestion[];
}) {
  const listId = useId();
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [suggestions, setSuggestions] = useState<ExpressionSuggestion[] | null>(null);
  const [context, setContext] = useState<CompletionContext | null>(null);
  const [active, setActive] = useState(0);

  const options = useMemo(() => (context && suggestions ? matches(suggestions, context.token) : []), [context, suggestions]);
  const open = options.length > 0;

  const refresh = (text: string, caret: number, force = false) => {
    const all = suggestions ?? getSuggestions();
    if (!suggestions) setSuggestions(all);
    const next = completionContext(text, caret, mode);
    // Offer completion while a path is being typed, right after `{{`, or on Ctrl+Space.
    const typingPath = next && (next.token.length > 0 || force || (mode === "template" && /\{\{\s*$/.test(text.slice(0, caret))));
    setContext(typingPath ? next : null);
    setActive(0);
  };

  const accept = (suggestion: ExpressionSuggestion) => {
    const el = ref.current;
    if (!el || !context) return;
    const caret = el.selectionStart ?? value.length;
    let insert = suggestion.label;
    const after = value.slice(caret);
    if (mode === "template" && !/^\s*\}\}/.test(after)) insert += " }}";
    const next = value.slice(0, context.from) + insert + after;
    onChange(next);
    setContext(null);
    const position = context.from + insert.length;
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(position, position);
    });
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === " " && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      const el = ref.current;
      if (el) refresh(value, el.selectionStart ?? value.length, true);
      return;
    }
    if (!open) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      setActive((i) => (i + 1) % options.length);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      setActive((i) => (i - 1 + options.length) % options.length);
    } else if (event.key === "Enter" || event.key === "Tab") {
      const chosen = options[active];
      if (chosen) {
        event.preventDefault();
        accept(chosen);
      }
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      setContext(null);
    }
  };

  const common = {
    id,
    ref,
    value,
    placeholder,
    spellCheck: false,
    autoComplete: "off",
    role: "combobox",
    "aria-autocomplete": "list" as const,
    "aria-expanded": open,
    "aria-controls": listId,
    "aria-activedescendant": open ? `${listId}-${active}` : undefined,
    "aria-describedby": describedBy,
    "aria-invalid": invalid || undefined,
    onChange: (event: { target: { value: string; selectionStart: number | null } }) => {
      onChange(event.target.value);
      refresh(event.target.value, event.target.selectionStart ?? event.target.value.length);
    },
    onKeyDown,
    // Upstream steps may have changed since the list was built: rebuild it on the next keystroke.
    onFocus: () => setSuggestions(null),
    onBlur: () => setContext(null),
  };

  return (
    <div className="ed-expr">
      {multiline ? <textarea className="textarea ed-expr-input" rows={3} {...common} /> : <input className="input ed-expr-input" {...common} />}
      <span className="ed-expr-badge" aria-hidden title={mode === "template" ? "Text with {{ expression }} placeholders" : "JSONata expression"}>
        {mode === "template" ? "{{ }}" : "ƒx"}
      </span>
      <ul id={listId} role="listbox" className="ed-expr-list" hidden={!open} aria-label="Suggestions">
        {options.map((option, index) => (
          <li
            key={option.label}
            id={`${listId}-${index}`}
            role="option"
            aria-selected={index === active}
            className={index === active ? "is-active" : undefined}
            onMouseDown={(event) => {
              event.preventDefault();
              accept(option);
            }}
            onMouseEnter={() => setActive(index)}
          >
            <code>{option.label}</code>
            <span className="ed-expr-detail">{option.detail}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
