import { describe, expect, it } from "vitest";
import { FLOW_SCHEMA_VERSION, type FlowDocument } from "./flow-document";
import { versionChanges } from "./version-changes";

const doc = (nodes: FlowDocument["nodes"], edges: FlowDocument["edges"] = [], settings: FlowDocument["settings"] = { orderingPolicy: "hold" }): FlowDocument => ({
  schemaVersion: FLOW_SCHEMA_VERSION, name: "F", nodes, edges, settings,
});
const node = (id: string, config: Record<string, unknown> = {}, x = 0) => ({ id, kind: "action:http-request", version: 2, config, position: { x, y: 0 } });

describe("what changed between versions", () => {
  it("names added, removed and changed steps; moving one is not a change", () => {
    const v1 = doc([node("trigger"), node("a", { url: "https://a.example" }), node("b")], [{ id: "e1", source: "trigger", target: "a" }]);
    const v2 = doc([node("trigger", {}, 500), node("a", { url: "https://b.example" }), node("c")], [{ id: "e1", source: "trigger", target: "a" }, { id: "e2", source: "a", target: "c" }]);
    expect(versionChanges(v1, v2)).toEqual({ added: ["c"], removed: ["b"], changed: ["a"], connectionsAdded: 1, connectionsRemoved: 0, settingsChanged: false });
  });

  it("the first version adds everything; key order and settings are compared by value", () => {
    const v1 = doc([node("a", { x: 1, y: 2 })]);
    expect(versionChanges(null, v1).added).toEqual(["a"]);
    expect(versionChanges(v1, doc([node("a", { y: 2, x: 1 })])).changed).toEqual([]);
    expect(versionChanges(v1, doc([node("a", { x: 1, y: 2 })], [], { orderingPolicy: "skip" })).settingsChanged).toBe(true);
  });
});
