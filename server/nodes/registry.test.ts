import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { FLOW_SCHEMA_VERSION } from "../flows/flow-document";
import { nodeKindSchema } from "../flows/flow-document";
import { getKnownEventType } from "../events/event-types";
import { defaultConfig, defineNode, handlesOf, isTrigger, nodeCategories } from "./define-node";
import { createRegistry, getNodeDefinition, nodeDefinitions, nodeRegistry, nodesByCategory } from "./registry";
import type { AnyNodeDefinition } from "./define-node";
import { definitionModules } from "./node-types.generated";
import { executorModules } from "./node-executors.generated";

function isNodeDefinition(value: unknown): value is AnyNodeDefinition {
  return typeof value === "object" && value !== null && "kind" in value && "config" in value && "version" in value;
}

const nodeFolders = readdirSync(import.meta.dirname, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(path.join(import.meta.dirname, entry.name, "definition.ts")))
  .map((entry) => entry.name);

describe("node registry", () => {
  it("lists every node folder, with its definition for the editor and its executor for the runtime", () => {
    expect(nodeFolders.length).toBeGreaterThan(5);
    expect(Object.keys(definitionModules).sort()).toEqual([...nodeFolders].sort());
    const withoutExecutor = nodeFolders.filter((folder) => !(folder in executorModules));
    expect(withoutExecutor, "node folders without an execute.ts").toEqual([]);
  });

  it("has generated lists that match the folders (npm run nodes:list)", () => {
    const script = path.join(import.meta.dirname, "..", "..", "scripts", "list-node-types.mjs");
    const check = () => execFileSync(process.execPath, [script, "--check"], { encoding: "utf8", stdio: "pipe" });
    expect(check).not.toThrow();
  });

  it("registers every definition each node folder exports, under its own kind", async () => {
    const folders = nodeFolders;
    const exported: AnyNodeDefinition[] = [];
    for (const folder of folders) {
      const module = (await import(`./${folder}/definition.ts`)) as Record<string, unknown>;
      const definitions = Object.values(module).filter(isNodeDefinition);
      expect(definitions.length, `${folder}/definition.ts exports a node definition`).toBeGreaterThan(0);
      exported.push(...definitions);
    }
    for (const definition of exported) expect(nodeRegistry.get(definition.kind), definition.kind).toBe(definition);
    expect(new Set(exported.map((d) => d.kind))).toEqual(new Set(nodeDefinitions.map((d) => d.kind)));
  });

  it("throws on a duplicate kind, naming it", () => {
    const node = defineNode({
      kind: "action:twice",
      version: 1,
      label: "Twice",
      description: "",
      icon: "braces",
      category: "Data",
      config: z.object({}),
      output: z.object({}),
    });
    expect(() => createRegistry([node, node])).toThrow('Node kind "action:twice" is registered twice');
  });

  it.each(nodeDefinitions.map((d) => [d.kind, d] as const))("%s: defaults parse, kind is valid, help text present", (kind, definition) => {
    expect(nodeKindSchema.safeParse(kind).success).toBe(true);
    expect(() => definition.config.parse({})).not.toThrow();
    // Parsing the defaults again is stable: what the editor stores parses to itself.
    const defaults = defaultConfig(definition);
    expect(definition.config.parse(defaults)).toEqual(defaults);
    expect(JSON.parse(JSON.stringify(defaults))).toEqual(defaults);
    expect(definition.version).toBeGreaterThanOrEqual(1);
    expect(nodeCategories).toContain(definition.category);
    expect(definition.label).not.toBe("");
    expect(definition.description).not.toBe("");
    for (const [field, schema] of Object.entries(definition.config.shape)) {
      expect((schema as z.ZodType).def.type, `${kind}.${field} has a default`).toBe("default");
      const meta = (schema as z.ZodType).meta();
      expect(meta?.title, `${kind}.${field} has a title`).toBeTruthy();
      expect(meta?.description, `${kind}.${field} has a description`).toBeTruthy();
    }
    expect(handlesOf(definition, defaults).length).toBeGreaterThan(0);
    expect(() => z.toJSONSchema(definition.config, { io: "input" })).not.toThrow();
  });

  it("gives every trigger an event type, and only triggers", () => {
    for (const definition of nodeDefinitions) {
      if (isTrigger(definition)) {
        expect(definition.category).toBe("Triggers");
        expect(definition.eventType, definition.kind).toBeTruthy();
        if (definition.eventType !== "*") expect(getKnownEventType(definition.eventType!), definition.kind).toBeDefined();
      } else {
        expect(definition.eventType).toBeUndefined();
        expect(definition.category).not.toBe("Triggers");
      }
    }
    expect(getNodeDefinition("trigger:stock.changed")?.eventType).toBe("stock.changed");
  });

  it("gives every action that calls an outside system a retry policy", () => {
    for (const kind of ["action:translate", "action:resize-image", "action:generate-content", "action:sync-channel", "action:http-request"]) {
      expect(defaultConfig(getNodeDefinition(kind)!).retry, kind).toMatchObject({ attempts: expect.any(Number) });
    }
  });

  it("looks up by kind and groups by category in palette order", () => {
    expect(getNodeDefinition("action:sync-channel")?.label).toBe("Sync to channel");
    expect(getNodeDefinition("action:nope")).toBeUndefined();
    const groups = nodesByCategory();
    expect(groups.map((g) => g.category)).toEqual([...nodeCategories]);
    expect(groups.flatMap((g) => g.definitions)).toHaveLength(nodeDefinitions.length);
    expect(nodeRegistry.get("logic:switch")).toBe(getNodeDefinition("logic:switch"));
    expect(FLOW_SCHEMA_VERSION).toBe(1);
  });
});
