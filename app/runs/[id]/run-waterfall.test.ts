import { describe, expect, it } from "vitest";
import { buildWaterfall } from "./run-waterfall";

const at = (ms: number) => new Date(Date.UTC(2026, 4, 1) + ms);

describe("buildWaterfall", () => {
  it("draws the queue time, each failed attempt with its backoff, and the final attempt", () => {
    const { rows, start, end } = buildWaterfall({
      startedAt: at(100),
      finishedAt: at(1_000),
      receivedAt: at(0),
      now: 0,
      steps: [
        { nodeId: "trigger", kind: "trigger:stock.changed", status: "succeeded", attempt: 1, startedAt: at(100), finishedAt: at(110) },
        { nodeId: "deliver", kind: "action:http-request", status: "succeeded", attempt: 3, startedAt: at(800), finishedAt: at(950) },
      ],
      failedAttempts: [
        { nodeId: "deliver", attempt: 1, at: at(200), error: "HTTP 503", retryAt: at(400) },
        { nodeId: "deliver", attempt: 2, at: at(500), error: "HTTP 503", retryAt: at(800) },
      ],
    });
    expect(start).toBe(at(0).getTime());
    expect(end).toBe(at(1_000).getTime());
    expect(rows.map((r) => r.id)).toEqual(["event", "trigger", "deliver"]);
    expect(rows[0]!.bars.map((b) => [b.kind, b.end - b.start])).toEqual([["queued", 100]]);
    const deliver = rows[2]!.bars.map((b) => [b.kind, b.status ?? null, b.attempt, b.start - start, b.end - start]);
    expect(deliver).toEqual([
      ["attempt", "failed", 1, 110, 200],
      ["backoff", null, 1, 200, 400],
      ["attempt", "failed", 2, 400, 500],
      ["backoff", null, 2, 500, 800],
      ["attempt", "succeeded", 3, 800, 950],
    ]);
  });

  it("shows a held period before the first step and a delay's wait as held", () => {
    const { rows } = buildWaterfall({
      startedAt: at(0),
      finishedAt: null,
      now: at(10_000).getTime(),
      steps: [
        { nodeId: "trigger", kind: "trigger:stock.changed", status: "succeeded", attempt: 1, startedAt: at(2_000), finishedAt: at(2_010) },
        { nodeId: "wait", kind: "action:delay", status: "suspended", attempt: 1, startedAt: at(2_010), finishedAt: at(2_020) },
      ],
      failedAttempts: [],
    });
    expect(rows[0]!.bars).toMatchObject([{ kind: "held", end: at(2_000).getTime() }]);
    expect(rows[2]!.bars.at(-1)).toMatchObject({ kind: "held", label: "Held by a delay", end: at(10_000).getTime() });
  });
});
