import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { childMemoryEnv, childNodeArgs } from "./child-memory";

// What a child started like npm start starts the web app and the worker really runs with.
function childSees(env: NodeJS.ProcessEnv, role: "web" | "worker" = "worker"): { growingPercent: unknown; arenas: string | undefined; stderr: string } {
  const script = `console.log(JSON.stringify({ growingPercent: process.execArgv.find((a) => a.startsWith("--heap-growing-percent")), arenas: process.env.MALLOC_ARENA_MAX }))`;
  const result = spawnSync(process.execPath, [...childNodeArgs(role), "-e", script], { env, encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  return { ...(JSON.parse(result.stdout) as { growingPercent: unknown; arenas: string | undefined }), stderr: result.stderr };
}

const base = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.MALLOC_ARENA_MAX;
  return env;
};

describe("memory settings of the processes npm start runs", () => {
  it("starts them with a smaller V8 heap growing factor (a flag this node accepts) and two malloc arenas", () => {
    const seen = childSees(childMemoryEnv(base()));
    expect(seen.stderr).toBe("");
    expect(seen.growingPercent).toBe("--heap-growing-percent=50");
    expect(seen.arenas).toBe("2");
    expect(childSees(childMemoryEnv(base()), "web").growingPercent).toBe("--heap-growing-percent=100");
  });

  it("keeps the operator's MALLOC_ARENA_MAX", () => {
    expect(childSees(childMemoryEnv({ ...base(), MALLOC_ARENA_MAX: "4" })).arenas).toBe("4");
  });
});
