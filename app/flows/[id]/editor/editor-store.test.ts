import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FLOW_SCHEMA_VERSION, type FlowDocument } from "@/server/flows/flow-document";
import { createEditorStore, selectIsDirty } from "./editor-store";

// The editor's undo history, on the store itself: what one Ctrl+Z takes back, and what it never does.

const facts = { flowId: "flow-1", name: "Stock", enabled: false, revision: 1, publishedVersion: null };

function documentWithTrigger(): FlowDocument {
  return {
    schemaVersion: FLOW_SCHEMA_VERSION,
    name: "Stock",
    nodes: [{ id: "trigger", kind: "trigger:stock.changed", version: 1, config: { filter: "" }, position: { x: 0, y: 0 } }],
    edges: [],
    settings: { orderingPolicy: "hold" },
  };
}

const ids = (store: ReturnType<typeof createEditorStore>) => store.getState().nodes.map((n) => n.id);
const configOf = (store: ReturnType<typeof createEditorStore>, id: string) => store.getState().nodes.find((n) => n.id === id)?.data.config;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date("2026-12-01T10:00:00Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

describe("editor undo history", () => {
  it("undoes and redoes an added step, and undoing back to the saved state is clean again", () => {
    const store = createEditorStore(facts, documentWithTrigger());
    expect(selectIsDirty(store.getState())).toBe(false);
    const added = store.getState().addNode("action:http-request", { x: 0, y: 120 }, { source: "trigger", sourceHandle: "out" })!;
    expect(ids(store)).toEqual(["trigger", added]);
    expect(store.getState().edges).toHaveLength(1);
    expect(selectIsDirty(store.getState())).toBe(true);

    store.getState().undo();
    expect(ids(store)).toEqual(["trigger"]);
    expect(store.getState().edges).toHaveLength(0);
    expect(selectIsDirty(store.getState())).toBe(false);

    store.getState().redo();
    expect(ids(store)).toEqual(["trigger", added]);
    expect(store.getState().edges).toHaveLength(1);
  });

  it("forgets what was undone once something new is done", () => {
    const store = createEditorStore(facts, documentWithTrigger());
    store.getState().addNode("logic:delay", { x: 0, y: 120 });
    store.getState().undo();
    store.getState().addNode("logic:condition", { x: 0, y: 120 });
    store.getState().redo();
    expect(store.getState().nodes.map((n) => n.data.kind)).toEqual(["trigger:stock.changed", "logic:condition"]);
  });

  it("undoes typing in one field as one step, but separate pauses and fields as separate steps", () => {
    const store = createEditorStore(facts, documentWithTrigger());
    for (const filter of ["e", "ev", "event.data.quantity <= 0"]) {
      store.getState().updateConfig("trigger", { filter }, "filter");
      vi.advanceTimersByTime(200);
    }
    store.getState().undo();
    expect(configOf(store, "trigger")).toEqual({ filter: "" });

    store.getState().redo();
    vi.advanceTimersByTime(5_000);
    store.getState().updateConfig("trigger", { filter: "event.data.quantity < 0" }, "filter");
    store.getState().undo();
    expect(configOf(store, "trigger")).toEqual({ filter: "event.data.quantity <= 0" });
  });

  it("does not count selecting a step as an edit", () => {
    const store = createEditorStore(facts, documentWithTrigger());
    store.getState().addNode("logic:delay", { x: 0, y: 120 });
    store.getState().onNodesChange([{ type: "select", id: "trigger", selected: true }]);
    store.getState().undo();
    expect(ids(store)).toEqual(["trigger"]);
    expect(store.getState().past).toHaveLength(0);
  });

  it("keeps the last 100 steps", () => {
    const store = createEditorStore(facts, documentWithTrigger());
    for (let i = 0; i < 105; i++) store.getState().setSettings({ orderingPolicy: i % 2 === 0 ? "skip" : "hold" });
    let undone = 0;
    while (store.getState().past.length > 0) {
      store.getState().undo();
      undone++;
    }
    expect(undone).toBe(100);
    // The oldest five are gone: the start state is not reachable any more, so the flow stays dirty.
    expect(selectIsDirty(store.getState())).toBe(true);
  });

  it("starts a fresh history when another document is loaded (restoring a version)", () => {
    const store = createEditorStore(facts, documentWithTrigger());
    store.getState().addNode("logic:delay", { x: 0, y: 120 });
    store.getState().loadDocument(documentWithTrigger(), { revision: 2 });
    store.getState().undo();
    expect(ids(store)).toEqual(["trigger"]);
    expect(store.getState().revision).toBe(2);
    expect(selectIsDirty(store.getState())).toBe(false);
  });
});

describe("where new and pasted steps land", () => {
  const boxesOverlap = (store: ReturnType<typeof createEditorStore>) => {
    const nodes = store.getState().nodes;
    return nodes.some((a, i) => nodes.some((b, j) => j > i && Math.abs(a.position.x - b.position.x) < 220 && Math.abs(a.position.y - b.position.y) < 72));
  };

  it("pasting the same steps again and again never puts one on top of another", () => {
    const store = createEditorStore(facts, documentWithTrigger());
    store.getState().addNode("action:http-request", { x: 300, y: 0 }, { source: "trigger", sourceHandle: "out" });
    store.getState().selectAll();
    expect(store.getState().copySelection()).toBe(2);
    for (let i = 0; i < 4; i++) expect(store.getState().paste()).toBe(2);
    expect(store.getState().nodes).toHaveLength(10);
    expect(boxesOverlap(store)).toBe(false);
  });

  it("a pasted group keeps its arrangement", () => {
    const store = createEditorStore(facts, documentWithTrigger());
    store.getState().addNode("action:http-request", { x: 300, y: 0 }, { source: "trigger", sourceHandle: "out" });
    store.getState().selectAll();
    store.getState().copySelection();
    store.getState().paste();
    const pasted = store.getState().nodes.filter((n) => n.selected);
    expect(pasted).toHaveLength(2);
    expect(pasted[1]!.position.x - pasted[0]!.position.x).toBe(300);
    expect(pasted[1]!.position.y - pasted[0]!.position.y).toBe(0);
  });
});
