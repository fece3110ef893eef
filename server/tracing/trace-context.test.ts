import { describe, expect, it } from "vitest";
import { traceIdOf, traceparentOf } from "./trace-context";

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

describe("traceparentOf", () => {
  it("takes the event's own traceparent, else the publisher's header", () => {
    const own = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const header = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    expect(traceparentOf({ traceparent: own }, { traceparent: header })).toBe(own);
    expect(traceparentOf({}, { traceparent: header })).toBe(header);
  });

  it("starts a new trace for an event that names none, a different one each time", () => {
    // More than one draw of random bytes (256 traceparents a draw).
    const fresh = Array.from({ length: 1_000 }, () => traceparentOf({}, {}));
    for (const traceparent of fresh) expect(traceparent).toMatch(TRACEPARENT);
    expect(new Set(fresh.map(traceIdOf)).size).toBe(fresh.length);
    expect(new Set(fresh.map((traceparent) => traceparent.split("-")[2])).size).toBe(fresh.length);
  });
});

describe("traceIdOf", () => {
  it("is the second dash-separated field, or empty", () => {
    expect(traceIdOf("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    for (const text of ["", "no-dashes-here", "nodash", "a-b", "-", "a--b", "-x-", "00-abc"]) {
      expect(traceIdOf(text)).toBe(text.split("-")[1] ?? "");
    }
  });
});
