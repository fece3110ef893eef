import { describe, expect, it } from "vitest";
import type { AppNode } from "./flow-graph";
import { freeSpot, isTaken } from "./free-space";

const node = (id: string, x: number, y: number, measured?: { width: number; height: number }) =>
  ({ id, type: "action", position: { x, y }, measured, data: { kind: "action:http-request", version: 1, config: {} } }) as unknown as AppNode;

describe("free space on the canvas", () => {
  it("a step added where another sits moves on until it covers nothing", () => {
    const nodes = [node("trigger", 0, 0), node("a", 40, 40)];
    const spot = freeSpot(nodes, { x: 0, y: 0 }, { x: 32, y: 32 });
    expect(isTaken(nodes, { ...spot, width: 220, height: 72 })).toBe(false);
    expect(spot).not.toEqual({ x: 0, y: 0 });
  });

  it("uses a node's measured size: a tall switch is not covered by a step placed below its top", () => {
    const nodes = [node("switch", 0, 0, { width: 220, height: 200 })];
    const spot = freeSpot(nodes, { x: 0, y: 100 }, { x: 0, y: 50 });
    expect(spot.y).toBeGreaterThanOrEqual(200);
  });

  it("an empty spot is kept", () => {
    expect(freeSpot([node("trigger", 0, 0)], { x: 600, y: 0 }, { x: 32, y: 32 })).toEqual({ x: 600, y: 0 });
  });
});
