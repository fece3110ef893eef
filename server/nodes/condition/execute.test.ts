import { describe, expect, it } from "vitest";
import type { CloudEvent } from "../../events/event-types";
import { builtInEventTypes } from "../../events/event-types";
import type { ExecutionContext } from "../define-executor";
import { customEventExecutor } from "../trigger-custom-event/execute";
import { getExecutor } from "../executors";
import { isTruthy } from "../../expressions/evaluate-condition";
import { conditionExecutor } from "./execute";
import { executionContext } from "../testing/execution-context";
import { conditionNode } from "./definition";

const stockChangedExecutor = getExecutor("trigger:stock.changed")!;
const stockEvent = builtInEventTypes["stock.changed"].example;

function context<Config>(config: Config, event: CloudEvent = stockEvent): ExecutionContext<Config> {
  return { ...executionContext(conditionNode, {}, { event }), config };
}

describe("isTruthy (JSONata $boolean)", () => {
  it.each([
    [true, true],
    [false, false],
    [1, true],
    [0, false],
    ["x", true],
    ["", false],
    [null, false],
    [undefined, false],
    [[], false],
    [[0, ""], false],
    [[0, 1], true],
    [{}, false],
    [{ a: 1 }, true],
  ])("%j → %s", (value, expected) => {
    expect(isTruthy(value)).toBe(expected);
  });
});

describe("logic:condition", () => {
  it("takes the true branch when the expression is truthy, else the false branch", async () => {
    expect(await conditionExecutor.execute(context({ expression: "event.data.quantity <= 0" }))).toEqual({ output: { result: true }, branch: "true" });
    expect(await conditionExecutor.execute(context({ expression: "event.data.quantity > 0" }))).toEqual({ output: { result: false }, branch: "false" });
    expect(await conditionExecutor.execute(context({ expression: "event.data.missing" }))).toEqual({ output: { result: false }, branch: "false" });
  });
});

describe("event triggers", () => {
  it("pass the event on when there is no filter or it matches", async () => {
    expect(await stockChangedExecutor.execute(context({ filter: "" }))).toEqual({ output: stockEvent });
    expect(await stockChangedExecutor.execute(context({ filter: "event.data.quantity <= 0" }))).toEqual({ output: stockEvent });
  });

  it("stop the run (branch null) when the filter is falsy", async () => {
    expect(await stockChangedExecutor.execute(context({ filter: "event.data.quantity > 0" }))).toEqual({ output: stockEvent, branch: null });
  });

  it("filter custom events the same way", async () => {
    const event: CloudEvent = { specversion: "1.0", id: "r-1", source: "shop", type: "return.requested", subject: "ORDER-1", data: { reason: "size" } };
    expect(await customEventExecutor.execute(context({ eventType: "return.requested", filter: 'event.data.reason = "size"' }, event))).toEqual({ output: event });
    expect(await customEventExecutor.execute(context({ eventType: "return.requested", filter: 'event.data.reason = "broken"' }, event))).toEqual({ output: event, branch: null });
  });
});
