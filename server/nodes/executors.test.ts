import { describe, expect, it } from "vitest";
import * as z from "zod";
import { defineExecutor } from "./define-executor";
import { defineNode } from "./define-node";
import { createExecutorRegistry, executorRegistry, getExecutor } from "./executors";
import { createRegistry, nodeDefinitions, nodeRegistry } from "./registry";

describe("executor registry", () => {
  it("pairs every executor with the definition of its kind", () => {
    for (const executor of executorRegistry.executors) {
      expect(executor.definition).toBe(nodeRegistry.get(executor.kind));
      expect(getExecutor(executor.kind)).toBe(executor);
    }
  });

  it("has an executor for every kind in the registry", () => {
    const missing = nodeDefinitions.map((d) => d.kind).filter((kind) => !getExecutor(kind));
    expect(missing).toEqual([]);
    expect(executorRegistry.executors).toHaveLength(nodeDefinitions.length);
  });

  it("knows nothing of unknown kinds", () => {
    expect(getExecutor("action:nope")).toBeUndefined();
  });

  const probe = defineNode({ kind: "action:probe", version: 1, label: "Probe", description: "", icon: "braces", category: "Data", config: z.object({}), output: z.object({}) });
  const probeExecutor = defineExecutor(probe, async () => ({ output: {} }));

  it("throws on a duplicate kind", () => {
    const nodes = createRegistry([probe]);
    expect(() => createExecutorRegistry([probeExecutor, probeExecutor], nodes)).toThrow('Executor for "action:probe" is registered twice');
  });

  it("throws on an executor whose kind has no definition", () => {
    expect(() => createExecutorRegistry([probeExecutor])).toThrow('Executor for "action:probe" has no node definition in the registry');
  });

  it("throws on an executor built from another definition of the same kind", () => {
    const copy = defineNode({ ...probe });
    expect(() => createExecutorRegistry([probeExecutor], createRegistry([copy]))).toThrow("different definition");
  });
});
