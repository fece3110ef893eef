import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { webNodeArgs, webProcessEnv, workerHeapLimitMb, workerProcessEnv } from "./child-memory";

// What a child started with these environments really runs with: its V8 heap limit and its malloc setting.
function childSees(env: NodeJS.ProcessEnv): { heapLimitMb: number; arenas: string | undefined } {
  const script = `const v8 = require("node:v8"); console.log(JSON.stringify({ heapLimitMb: v8.getHeapStatistics().heap_size_limit / 1048576, arenas: process.env.MALLOC_ARENA_MAX }))`;
  const result = spawnSync(process.execPath, ["-e", script], { env, encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { heapLimitMb: number; arenas: string | undefined };
}

const base = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.MALLOC_ARENA_MAX;
  return env;
};

describe("memory settings of the processes npm start runs", () => {
  it("gives the worker a V8 heap limit sized from its partitions, and two malloc arenas", () => {
    expect(workerHeapLimitMb(16)).toBe(256);
    expect(workerHeapLimitMb(64)).toBe(640);
    const seen = childSees(workerProcessEnv(base(), 16));
    // V8 adds the young generation to the old-space limit it was given.
    expect(seen.heapLimitMb).toBeGreaterThanOrEqual(256);
    expect(seen.heapLimitMb).toBeLessThan(320);
    expect(seen.arenas).toBe("2");
  });

  it("keeps what the operator set: a later --max-old-space-size in NODE_OPTIONS and MALLOC_ARENA_MAX", () => {
    const seen = childSees(workerProcessEnv({ ...base(), NODE_OPTIONS: "--max-old-space-size=1024", MALLOC_ARENA_MAX: "4" }, 16));
    expect(seen.heapLimitMb).toBeGreaterThanOrEqual(1024);
    expect(seen.arenas).toBe("4");
  });

  it("gives the web app two malloc arenas and leaves its heap limit to V8", () => {
    const env = webProcessEnv(base());
    expect(env.MALLOC_ARENA_MAX).toBe("2");
    expect(env.NODE_OPTIONS).toBeUndefined();
  });

  it("starts node with the web app's flags (this node accepts them)", () => {
    const result = spawnSync(process.execPath, [...webNodeArgs(), "-e", "console.log('up')"], { env: webProcessEnv(base()), encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("up");
  });
});
