import { describe, expect, it } from "vitest";
import { builtInEventTypes } from "../../events/event-types";
import { switchNode } from "./definition";
import { switchExecutor } from "./execute";
import { executionContext } from "../testing/execution-context";

const event = builtInEventTypes["stock.changed"].example;

function run(value: string, cases: { id: string; equals: string | number | boolean | null }[]) {
  return switchExecutor.execute(executionContext(switchNode, { value, cases }, { event, nodeId: "switch" }));
}

describe("logic:switch", () => {
  const cases = [
    { id: "berlin", equals: "BER-1" },
    { id: "amsterdam", equals: "AMS-1" },
    { id: "again", equals: "AMS-1" },
  ];

  it("takes the first case equal to the value", async () => {
    expect(await run("event.data.warehouse", cases)).toEqual({ output: { matched: "amsterdam", value: "AMS-1" }, branch: "amsterdam" });
  });

  it("takes the default branch when no case matches", async () => {
    expect(await run('"LON-1"', cases)).toEqual({ output: { matched: "default", value: "LON-1" }, branch: "default" });
  });

  it("compares strictly: the number 0 is not the text \"0\"", async () => {
    expect((await run("event.data.quantity", [{ id: "text", equals: "0" }, { id: "number", equals: 0 }])).branch).toBe("number");
  });

  it("compares a missing value with null", async () => {
    expect((await run("event.data.missing", [{ id: "none", equals: null }])).branch).toBe("none");
  });
});
