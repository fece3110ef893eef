import { describe, expect, it } from "vitest";
import * as z from "zod";
import { defineNode } from "../nodes/define-node";
import { createRegistry, nodeDefinitions } from "../nodes/registry";
import type { FlowDocument, FlowEdge, FlowNode } from "./flow-document";
import { validateFlow, type FlowProblem } from "./validate-flow";

function node(id: string, kind: string, config: Record<string, unknown> = {}, version = 1): FlowNode {
  return { id, kind, version, config, position: { x: 0, y: 0 } };
}

function edge(source: string, target: string, sourceHandle?: string): FlowEdge {
  return { id: `${source}${sourceHandle ? `:${sourceHandle}` : ""}->${target}`, source, target, ...(sourceHandle ? { sourceHandle } : {}) };
}

function doc(nodes: FlowNode[], edges: FlowEdge[]): FlowDocument {
  return { schemaVersion: 1, name: "Test flow", nodes, edges, settings: { orderingPolicy: "hold" } };
}

const trigger = node("trigger", "trigger:stock.changed");
const http = (id: string, config: Record<string, unknown> = {}) => node(id, "action:http-request", config, 2);

function problems(document: unknown): FlowProblem[] {
  return validateFlow(document).problems;
}

describe("validateFlow", () => {
  it("accepts a valid flow and returns it with defaults applied", () => {
    const input = { schemaVersion: 1, name: "Stock", nodes: [trigger, http("notify")], edges: [edge("trigger", "notify")] };
    const result = validateFlow(input);
    expect(result.problems).toEqual([]);
    expect(result.document?.settings).toEqual({ orderingPolicy: "hold" });
  });

  it("invalid-document: maps zod issues to paths and names the node", () => {
    const result = validateFlow({ schemaVersion: 1, name: "", nodes: [{ id: "n1", kind: "action:http-request", version: 1, position: { x: "left" } }], edges: [] });
    expect(result.document).toBeNull();
    expect(result.problems).toEqual(
      expect.arrayContaining([
        { code: "invalid-document", field: "name", message: "name: a flow needs a name" },
        expect.objectContaining({ code: "invalid-document", nodeId: "n1", field: "nodes[0].position.x", message: expect.stringMatching(/^Node "n1": nodes\[0\]\.position\.x: /) }),
      ]),
    );
    expect(problems(null)).toEqual([expect.objectContaining({ code: "invalid-document", field: "(document)" })]);
  });

  it("unsupported-version: a document schema from a newer Syncline", () => {
    expect(problems({ ...doc([trigger], []), schemaVersion: 2 })).toEqual([
      expect.objectContaining({ code: "unsupported-version", field: "schemaVersion", message: expect.stringMatching(/newer Syncline/) }),
    ]);
  });

  it("unsupported-version: a node version newer than the registry's", () => {
    expect(problems(doc([trigger, node("notify", "action:http-request", {}, 3)], [edge("trigger", "notify")]))).toEqual([
      {
        code: "unsupported-version",
        nodeId: "notify",
        message: 'HTTP request "notify": saved with version 3 of this node type; this Syncline knows up to version 2',
      },
    ]);
  });

  it("no-trigger", () => {
    expect(problems(doc([http("notify")], []))).toEqual([expect.objectContaining({ code: "no-trigger" })]);
  });

  it("multiple-triggers: one trigger per flow", () => {
    const second = node("second", "trigger:price.changed");
    expect(problems(doc([trigger, second, http("notify")], [edge("trigger", "notify"), edge("second", "notify")]))).toEqual([
      { code: "multiple-triggers", nodeId: "second", message: 'Price changed "second": a flow has one trigger, and Stock changed "trigger" is already it' },
    ]);
  });

  it("unknown-kind", () => {
    expect(problems(doc([trigger, node("x", "action:teleport")], [edge("trigger", "x")]))).toEqual([
      expect.objectContaining({ code: "unknown-kind", nodeId: "x", message: expect.stringMatching(/^action:teleport "x": unknown node kind/) }),
    ]);
  });

  it("invalid-config: one problem per field issue, with the field", () => {
    const found = problems(doc([trigger, http("n3", { url: "not a url", timeoutMs: 5, retry: { attempts: 0 } })], [edge("trigger", "n3")]));
    expect(found).toEqual([
      { code: "invalid-config", nodeId: "n3", field: "url", message: 'HTTP request "n3": URL: enter a full http:// or https:// URL' },
      { code: "invalid-config", nodeId: "n3", field: "timeoutMs", message: 'HTTP request "n3": Timeout (ms) must be at least 100' },
      { code: "invalid-config", nodeId: "n3", field: "retry.attempts", message: 'HTTP request "n3": Attempts must be at least 1' },
    ]);
  });

  it("invalid-config with needsInput: required references and values left empty", () => {
    const sync = node("webshop", "action:sync-channel");
    const condition = node("check", "logic:condition");
    const found = problems(doc([trigger, condition, sync], [edge("trigger", "check"), edge("check", "webshop", "true")]));
    expect(found).toEqual([
      { code: "invalid-config", nodeId: "check", field: "expression", needsInput: "value", message: 'Condition "check": Condition: write a condition' },
      { code: "invalid-config", nodeId: "webshop", field: "channelId", needsInput: "channel", message: 'Sync to channel "webshop": Channel: choose a channel' },
    ]);
  });

  it("asks a webhook trigger for its secret: an unauthenticated webhook cannot be published", () => {
    const open = node("hook", "trigger:webhook", { path: "erp-prices" });
    expect(problems(doc([open, http("notify")], [edge("hook", "notify")]))).toEqual([
      expect.objectContaining({ code: "invalid-config", nodeId: "hook", field: "secretCredentialId", needsInput: "credential" }),
    ]);
    const signed = node("hook", "trigger:webhook", { path: "erp-prices", secretCredentialId: "erp-secret" });
    expect(problems(doc([signed, http("notify")], [edge("hook", "notify")]))).toEqual([]);
  });

  it("invalid-expression: JSONata syntax of expression and template fields", () => {
    const found = problems(
      doc(
        [
          node("trigger", "trigger:stock.changed", { filter: "event.data.quantity <=" }),
          http("notify", { jsonBody: '{"sku": }', url: "https://example.com/{{ event.data.sku +  }}", headers: { "X-Sku": "{{ event.data.sku" } }),
          node("webshop", "action:sync-channel", { channelId: "webshop", mapping: { price: "event.data.price *" } }),
        ],
        [edge("trigger", "notify"), edge("notify", "webshop")],
      ),
    );
    expect(found.map((p) => [p.code, p.nodeId, p.field])).toEqual([
      ["invalid-expression", "trigger", "filter"],
      ["invalid-expression", "notify", "url"],
      ["invalid-expression", "notify", 'headers["X-Sku"]'],
      ["invalid-expression", "notify", "jsonBody"],
      ["invalid-expression", "webshop", "mapping.price"],
    ]);
    expect(found[3]).toEqual({
      code: "invalid-expression",
      nodeId: "notify",
      field: "jsonBody",
      position: 9,
      message: 'HTTP request "notify": JSON body: The symbol "}" cannot be used as a unary operator (at position 9)',
    });
  });

  it("dangling-edge: an edge to or from a node that does not exist", () => {
    expect(problems(doc([trigger, http("notify")], [edge("trigger", "notify"), edge("notify", "ghost")]))).toEqual([
      { code: "dangling-edge", edgeId: "notify->ghost", nodeId: "notify", message: 'Connection "notify->ghost": its target "ghost" is not a node in this flow' },
    ]);
  });

  it("unknown-handle: a branch the source node does not have", () => {
    const condition = node("check", "logic:condition", { expression: "event.data.quantity <= 0" });
    const found = problems(doc([trigger, condition, http("a"), http("b")], [edge("trigger", "check"), edge("check", "a", "maybe"), edge("check", "b")]));
    expect(found).toEqual([
      {
        code: "unknown-handle",
        nodeId: "check",
        edgeId: "check:maybe->a",
        message: 'Condition "check": connection "check:maybe->a" starts from "maybe", which is not one of its outputs (true, false)',
      },
      {
        code: "unknown-handle",
        nodeId: "check",
        edgeId: "check->b",
        message: 'Condition "check": connection "check->b" must start from one of its branches (true, false)',
      },
      // Edges with a wrong handle do not count as connections.
      expect.objectContaining({ code: "disconnected", nodeId: "a" }),
      expect.objectContaining({ code: "disconnected", nodeId: "b" }),
    ]);
  });

  it("accepts switch case handles and the default branch", () => {
    const sw = node("route", "logic:switch", { value: "event.data.warehouse", cases: [{ id: "ams", equals: "AMS-1" }] });
    expect(problems(doc([trigger, sw, http("a"), http("b")], [edge("trigger", "route"), edge("route", "a", "ams"), edge("route", "b", "default")]))).toEqual([]);
    // Single-output nodes accept their own handle id as well as none.
    expect(problems(doc([trigger, http("a")], [edge("trigger", "a", "out")]))).toEqual([]);
  });

  it("disconnected: nodes the trigger never reaches", () => {
    expect(problems(doc([trigger, http("notify"), http("orphan")], [edge("trigger", "notify")]))).toEqual([
      { code: "disconnected", nodeId: "orphan", message: 'HTTP request "orphan": not connected to the trigger, so it never runs' },
    ]);
  });

  it("cycle: names the nodes on the loop", () => {
    const found = problems(doc([trigger, http("a"), http("b"), http("c")], [edge("trigger", "a"), edge("a", "b"), edge("b", "c"), edge("c", "a")]));
    expect(found).toEqual([
      { code: "cycle", nodeId: "a", message: 'HTTP request "a": part of a loop with HTTP request "b", HTTP request "c"; a flow cannot loop' },
    ]);
    expect(problems(doc([trigger, http("a")], [edge("trigger", "a"), edge("a", "a")]))).toEqual([
      { code: "cycle", nodeId: "a", message: 'HTTP request "a": connected to itself; a flow cannot loop' },
    ]);
  });

  it("duplicate-id: nodes and connections", () => {
    const found = problems(doc([trigger, http("notify"), http("notify")], [edge("trigger", "notify"), edge("trigger", "notify")]));
    expect(found).toEqual([
      { code: "duplicate-id", nodeId: "notify", message: 'HTTP request "notify": another node already has the id "notify"' },
      { code: "duplicate-id", edgeId: "trigger->notify", message: 'Connection "trigger->notify": another connection already has this id' },
    ]);
  });

  it("handles a long chain without overflowing the stack", () => {
    const chain = Array.from({ length: 4_999 }, (_, i) => http(`n${i}`));
    const edges = [edge("trigger", "n0"), ...chain.slice(1).map((n, i) => edge(`n${i}`, n.id))];
    expect(problems(doc([trigger, ...chain], edges))).toEqual([]);
  });

  it("uses the registry it is given", () => {
    const only = createRegistry(nodeDefinitions.filter((d) => d.kind !== "action:http-request"));
    expect(validateFlow(doc([trigger, http("notify")], [edge("trigger", "notify")]), only).problems.map((p) => p.code)).toEqual(["unknown-kind"]);

    const custom = defineNode({
      kind: "action:custom",
      version: 3,
      label: "Custom",
      description: "",
      icon: "split",
      category: "Data",
      config: z.object({ n: z.number().default(1) }),
      output: z.object({}),
    });
    const withCustom = createRegistry([...nodeDefinitions, custom]);
    expect(validateFlow(doc([trigger, node("c", "action:custom", {}, 2)], [edge("trigger", "c")]), withCustom).problems).toEqual([]);
  });
});
