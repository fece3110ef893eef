"use client";
import { NodeIcon } from "@/app/components/node-icon";
import { memo, useDeferredValue, useMemo, useState, type DragEvent } from "react";
import type { AnyNodeDefinition } from "@/server/nodes/define-node";
import { nodesByCategory } from "@/server/nodes/registry";
import { useEditorCommands } from "./editor-commands";

/** The drag payload type; the canvas accepts drops carrying it. Lower case: browsers lower-case it anyway. */
export const PALETTE_DRAG_TYPE = "application/x-syncline-node-kind";

function matches(definition: AnyNodeDefinition, query: string) {
  if (!query) return true;
  const haystack = `${definition.label} ${definition.description} ${definition.kind} ${definition.category}`.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .every((word) => haystack.includes(word));
}

const PaletteItem = memo(function PaletteItem({ definition, onAdd }: { definition: AnyNodeDefinition; onAdd: (kind: string) => void }) {
  const onDragStart = (event: DragEvent) => {
    event.dataTransfer.setData(PALETTE_DRAG_TYPE, definition.kind);
    event.dataTransfer.setData("text/plain", definition.kind);
    event.dataTransfer.effectAllowed = "copy";
  };
  return (
    <li>
      <button
        type="button"
        className="ed-palette-item"
        draggable
        onDragStart={onDragStart}
        onClick={() => onAdd(definition.kind)}
        data-testid={`palette-item-${definition.kind}`}
        title={`${definition.description}\nDrag onto the canvas, or click to add.`}
      >
        <span className="ed-palette-icon" aria-hidden>
          <NodeIcon name={definition.icon} />
        </span>
        <span className="ed-palette-text">
          <span className="ed-palette-label">{definition.label}</span>
          <span className="ed-palette-desc">{definition.description}</span>
        </span>
      </button>
    </li>
  );
});

export function Palette() {
  const { addNodeFromPalette } = useEditorCommands();
  const [query, setQuery] = useState("");
  const deferredQuery = useDeferredValue(query.trim());
  const groups = useMemo(
    () =>
      nodesByCategory()
        .map((group) => ({ ...group, definitions: group.definitions.filter((d) => matches(d, deferredQuery)) }))
        .filter((group) => group.definitions.length > 0),
    [deferredQuery],
  );
  return (
    <aside className="ed-palette" aria-label="Steps">
      <div className="ed-palette-search">
        <input
          type="search"
          className="input"
          placeholder="Search steps…"
          aria-label="Search steps"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </div>
      <div className="ed-palette-groups">
        {groups.length === 0 && <p className="muted small ed-palette-none">No step matches “{query}”.</p>}
        {groups.map((group) => (
          <section key={group.category} className="ed-palette-group" aria-labelledby={`palette-${group.category.replace(/\W+/g, "-")}`}>
            <h3 id={`palette-${group.category.replace(/\W+/g, "-")}`}>{group.category}</h3>
            <ul>
              {group.definitions.map((definition) => (
                <PaletteItem key={definition.kind} definition={definition} onAdd={addNodeFromPalette} />
              ))}
            </ul>
          </section>
        ))}
      </div>
    </aside>
  );
}
