import { describe, expect, it } from "vitest";
import { builtInEventTypes } from "../../events/event-types";
import { SuspendUntil } from "@/server/outbound/execution-errors";
import { delayNode } from "./definition";
import { delayExecutor } from "./execute";
import { executionContext } from "../testing/execution-context";

function run(duration: string | number, attempt = 1) {
  return delayExecutor.execute(executionContext(delayNode, { duration }, { event: builtInEventTypes["stock.changed"].example, nodeId: "wait", attempt }));
}

describe("logic:delay", () => {
  it("asks the runtime to suspend the run until the delay is over", async () => {
    const before = Date.now();
    const error = await run("5m").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SuspendUntil);
    const until = (error as SuspendUntil).until.getTime();
    expect(until).toBeGreaterThanOrEqual(before + 300_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 300_000);
  });

  it("continues at once on a later attempt, and for a zero delay", async () => {
    expect(await run("5m", 2)).toEqual({ output: { delayedMs: 300_000 } });
    expect(await run(0)).toEqual({ output: { delayedMs: 0 } });
  });
});
