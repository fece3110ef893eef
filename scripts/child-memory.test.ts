import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { childMemoryEnv, childNodeArgs } from "./child-memory";

// What a child started like npm start starts the web app and the worker really runs with.
interface Seen {
  growingPercent: unknown;
  liftoffOnly: boolean;
  arenas: string | undefined;
}

function childSees(env: NodeJS.ProcessEnv, role: "web" | "worker" = "worker"): Seen & { stderr: string } {
  const script = `console.log(JSON.stringify({ growingPercent: process.execArgv.find((a) => a.startsWith("--heap-growing-percent")), liftoffOnly: process.execArgv.includes("--liftoff-only"), arenas: process.env.MALLOC_ARENA_MAX }))`;
  const result = spawnSync(process.execPath, [...childNodeArgs(role), "-e", script], { env, encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  return { ...(JSON.parse(result.stdout) as Seen), stderr: result.stderr };
}

const base = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.MALLOC_ARENA_MAX;
  return env;
};

describe("memory settings of the processes npm start runs", () => {
  it("starts them with a smaller V8 heap growing factor, WebAssembly on the baseline compiler only (flags this node accepts) and two malloc arenas", () => {
    const seen = childSees(childMemoryEnv(base()));
    expect(seen.stderr).toBe("");
    expect(seen.growingPercent).toBe("--heap-growing-percent=50");
    expect(seen.liftoffOnly).toBe(true);
    expect(seen.arenas).toBe("2");
    const web = childSees(childMemoryEnv(base()), "web");
    expect(web.growingPercent).toBe("--heap-growing-percent=100");
    expect(web.liftoffOnly).toBe(true);
  });

  it("keeps the operator's MALLOC_ARENA_MAX", () => {
    expect(childSees(childMemoryEnv({ ...base(), MALLOC_ARENA_MAX: "4" })).arenas).toBe("4");
  });
});
