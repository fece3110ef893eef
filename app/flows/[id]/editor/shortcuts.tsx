"use client";
import { useEffect, useId, useRef, useState } from "react";
import { useEditorCommands } from "./editor-commands";

// Keyboard shortcuts of the editor. They stay out of the way while someone types in a field or a
// dialog is open, except Save, which works everywhere.

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") {
    const type = (target as HTMLInputElement).type;
    return !["checkbox", "radio", "button", "submit", "reset", "range", "color"].includes(type);
  }
  return false;
}

export function useEditorShortcuts() {
  const commands = useEditorCommands();
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      if (mod && key === "s") {
        event.preventDefault();
        void commands.save();
        return;
      }
      if (event.defaultPrevented || isTyping(event.target)) return;
      if (event.target instanceof Element && event.target.closest("[role='dialog']")) return;
      if (mod && !event.altKey) {
        if (key === "z" && !event.shiftKey) commands.undo();
        else if ((key === "z" && event.shiftKey) || key === "y") commands.redo();
        else if (key === "c") {
          // Leave a text selection (a problem message, say) to the browser's own copy.
          if (window.getSelection()?.toString()) return;
          commands.copy();
        } else if (key === "v") commands.paste();
        else if (key === "a") commands.selectAll();
        else return;
        event.preventDefault();
        return;
      }
      if (!mod && !event.altKey && (event.key === "Delete" || event.key === "Backspace")) {
        event.preventDefault();
        commands.deleteSelection();
      } else if (event.key === "Escape" && !mod) {
        commands.clearSelection();
      } else if (!mod && !event.altKey && event.shiftKey && key === "l") {
        event.preventDefault();
        void commands.autoLayout();
      }
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, [commands]);
}

const isMac = () => typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform);

const SHORTCUTS: [string, string][] = [
  ["Mod+S", "Save"],
  ["Mod+Z", "Undo"],
  ["Mod+Shift+Z / Ctrl+Y", "Redo"],
  ["Delete / Backspace", "Delete the selection"],
  ["Mod+C / Mod+V", "Copy / paste steps"],
  ["Mod+A", "Select all steps"],
  ["Escape", "Clear the selection"],
  ["Shift+drag", "Select an area"],
  ["Mod+click", "Add to the selection"],
  ["Shift+L", "Auto-layout"],
  ["Arrow keys", "Move selected steps"],
  ["Ctrl+Space", "Suggestions in an expression field"],
];

/** The "?" button: a small popover listing the shortcuts. */
export function ShortcutsHelp() {
  const [open, setOpen] = useState(false);
  const popoverId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const [mod, setMod] = useState("Ctrl");
  useEffect(() => setMod(isMac() ? "⌘" : "Ctrl"), []);
  useEffect(() => {
    if (!open) return;
    const onDown = (event: MouseEvent) => {
      if (!ref.current?.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") setOpen(false);
    };
    window.addEventListener("mousedown", onDown);
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("mousedown", onDown);
      window.removeEventListener("keydown", onKey);
    };
  }, [open]);
  return (
    <div className="ed-popover-anchor" ref={ref}>
      <button
        type="button"
        className="btn btn-ghost btn-sm btn-icon ed-tool"
        aria-label="Keyboard shortcuts"
        aria-expanded={open}
        aria-controls={popoverId}
        title="Keyboard shortcuts"
        onClick={() => setOpen((v) => !v)}
      >
        ?
      </button>
      {open && (
        <div className="ed-popover ed-shortcuts" id={popoverId} role="dialog" aria-label="Keyboard shortcuts">
          <h3>Keyboard shortcuts</h3>
          <dl>
            {SHORTCUTS.map(([keys, what]) => (
              <div key={keys}>
                <dt>
                  {keys
                    .replaceAll("Mod", mod)
                    .split(" / ")
                    .map((combo, i) => (
                      <span key={combo}>
                        {i > 0 && " / "}
                        <kbd>{combo}</kbd>
                      </span>
                    ))}
                </dt>
                <dd>{what}</dd>
              </div>
            ))}
          </dl>
        </div>
      )}
    </div>
  );
}
