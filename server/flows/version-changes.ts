import type { FlowDocument } from "./flow-document";

// What changed from one published version to the next, for the History panel: steps added,
// removed and changed (kind, node version or settings; moving a step on the canvas is not a
// change), how many connections came and went, and whether the flow settings changed.

export interface VersionChanges {
  added: string[];
  removed: string[];
  changed: string[];
  connectionsAdded: number;
  connectionsRemoved: number;
  settingsChanged: boolean;
}

const edgeKey = (e: FlowDocument["edges"][number]) => `${e.source}:${e.sourceHandle ?? ""}->${e.target}`;

/** Key order does not make a config different. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

export function versionChanges(previous: FlowDocument | null, current: FlowDocument): VersionChanges {
  const before = new Map((previous?.nodes ?? []).map((n) => [n.id, n]));
  const after = new Map(current.nodes.map((n) => [n.id, n]));
  const added = current.nodes.filter((n) => !before.has(n.id)).map((n) => n.id);
  const removed = (previous?.nodes ?? []).filter((n) => !after.has(n.id)).map((n) => n.id);
  const changed = current.nodes
    .filter((n) => {
      const old = before.get(n.id);
      return old && (old.kind !== n.kind || old.version !== n.version || canonical(old.config) !== canonical(n.config));
    })
    .map((n) => n.id);
  const oldEdges = new Set((previous?.edges ?? []).map(edgeKey));
  const newEdges = new Set(current.edges.map(edgeKey));
  return {
    added,
    removed,
    changed,
    connectionsAdded: [...newEdges].filter((e) => !oldEdges.has(e)).length,
    connectionsRemoved: [...oldEdges].filter((e) => !newEdges.has(e)).length,
    settingsChanged: previous !== null && canonical(previous.settings) !== canonical(current.settings),
  };
}
