import type { XYPosition } from "@xyflow/react";
import type { AppNode } from "./flow-graph";

// Where a new or pasted step may go without covering another: boxes from each node's measured
// size (or the usual size before it is measured), kept a gap apart. Pure, tested with the store.

const USUAL_SIZE = { width: 220, height: 72 };
const GAP = 24;
const MAX_TRIES = 200;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function nodeBox(node: Pick<AppNode, "position" | "measured">, at: XYPosition = node.position): Box {
  return { x: at.x, y: at.y, width: node.measured?.width ?? USUAL_SIZE.width, height: node.measured?.height ?? USUAL_SIZE.height };
}

function overlap(a: Box, b: Box): boolean {
  return a.x < b.x + b.width + GAP && b.x < a.x + a.width + GAP && a.y < b.y + b.height + GAP && b.y < a.y + a.height + GAP;
}

/** Whether a box at `position` covers any of `nodes`. */
export function isTaken(nodes: readonly AppNode[], box: Box): boolean {
  return nodes.some((n) => overlap(nodeBox(n), box));
}

/** `position`, moved by `step` until a new node there covers none of `nodes`. */
export function freeSpot(nodes: readonly AppNode[], position: XYPosition, step: XYPosition): XYPosition {
  let p = position;
  for (let i = 0; i < MAX_TRIES && isTaken(nodes, { ...p, ...USUAL_SIZE }); i++) p = { x: p.x + step.x, y: p.y + step.y };
  return p;
}

/**
 * How far to move a group of copied steps (`first`, then each `step` more) so that none of them,
 * moved, covers one of `nodes`: pasted steps keep their arrangement and land in free space.
 */
export function freeOffset(nodes: readonly AppNode[], group: readonly AppNode[], first: XYPosition, step: XYPosition): XYPosition {
  let offset = first;
  const covers = (o: XYPosition) => group.some((g) => isTaken(nodes, nodeBox(g, { x: g.position.x + o.x, y: g.position.y + o.y })));
  for (let i = 0; i < MAX_TRIES && covers(offset); i++) offset = { x: offset.x + step.x, y: offset.y + step.y };
  return offset;
}
