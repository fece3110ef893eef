"use client";
import { Network, Redo2, Undo2 } from "lucide-react";
import { useEditorCommands } from "./editor-commands";
import { useEditorStore } from "./editor-store";
import { ShortcutsHelp } from "./shortcuts";

/** Undo, redo, layout and view tools, floating over the canvas. */
export function CanvasToolbar() {
  const { undo, redo, autoLayout } = useEditorCommands();
  const canUndo = useEditorStore((s) => s.past.length > 0);
  const canRedo = useEditorStore((s) => s.future.length > 0);
  const hasNodes = useEditorStore((s) => s.nodes.length > 0);
  return (
    <div className="ed-toolbar" role="toolbar" aria-label="Canvas tools">
      <button type="button" className="btn btn-ghost btn-sm btn-icon ed-tool" onClick={undo} disabled={!canUndo} aria-label="Undo" title="Undo (Ctrl+Z)" data-testid="undo-button">
        <Undo2 size={16} aria-hidden />
      </button>
      <button type="button" className="btn btn-ghost btn-sm btn-icon ed-tool" onClick={redo} disabled={!canRedo} aria-label="Redo" title="Redo (Ctrl+Shift+Z)" data-testid="redo-button">
        <Redo2 size={16} aria-hidden />
      </button>
      <span className="ed-toolbar-sep" aria-hidden />
      <button
        type="button"
        className="btn btn-ghost btn-sm ed-tool"
        onClick={() => void autoLayout()}
        disabled={!hasNodes}
        aria-label="Auto-layout"
        title="Arrange steps left to right (Shift+L)"
        data-testid="auto-layout-button"
      >
        <Network size={14} aria-hidden /> Layout
      </button>
      <span className="ed-toolbar-sep" aria-hidden />
      <ShortcutsHelp />
    </div>
  );
}
