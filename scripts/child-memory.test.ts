import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { memoryEnv, nodeArgs, startCommandArgs } from "./child-memory";

// What a child started like npm start starts the web app and the worker really runs with.
interface Seen {
  growingPercent: unknown;
  liftoffOnly: boolean;
  semiSpace: unknown;
  arenas: string | undefined;
}

function childSees(env: NodeJS.ProcessEnv, role: "web" | "worker" = "worker"): Seen & { stderr: string } {
  const script = `console.log(JSON.stringify({ growingPercent: process.execArgv.find((a) => a.startsWith("--heap-growing-percent")), liftoffOnly: process.execArgv.includes("--liftoff-only"), semiSpace: process.execArgv.find((a) => a.startsWith("--max-semi-space-size")), arenas: process.env.MALLOC_ARENA_MAX }))`;
  const result = spawnSync(process.execPath, [...nodeArgs(role), "-e", script], { env, encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  return { ...(JSON.parse(result.stdout) as Seen), stderr: result.stderr };
}

const base = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.MALLOC_ARENA_MAX;
  return env;
};

describe("memory settings of the processes npm start runs", () => {
  it("starts them with a smaller V8 heap growing factor (and the worker with smaller semi-spaces), WebAssembly on the baseline compiler only (flags this node accepts) and two malloc arenas", () => {
    const seen = childSees(memoryEnv(base()));
    expect(seen.stderr).toBe("");
    expect(seen.growingPercent).toBe("--heap-growing-percent=50");
    expect(seen.liftoffOnly).toBe(true);
    expect(seen.semiSpace).toBe("--max-semi-space-size=8");
    expect(seen.arenas).toBe("2");
    const web = childSees(memoryEnv(base()), "web");
    expect(web.growingPercent).toBe("--heap-growing-percent=100");
    expect(web.liftoffOnly).toBe(true);
    expect(web.semiSpace).toBeUndefined();
  });

  it("are the flags npm start, npm run worker, the bench and the browser tests run with", () => {
    const root = path.join(import.meta.dirname, "..");
    const scripts = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    // The web app runs in the process npm start starts (scripts/start.ts): the shell gives it the
    // arenas (keeping an operator's own value), as memoryEnv does for the worker.
    expect(scripts.start).toBe(`MALLOC_ARENA_MAX=\${MALLOC_ARENA_MAX:-2} node ${startCommandArgs().join(" ")}`);
    expect(scripts.worker).toBe(`node ${nodeArgs("worker").join(" ")} --conditions=react-server scripts/run-worker.mjs`);
    // Docker Compose runs the web app on its own: with the same flags.
    expect(readFileSync(path.join(root, "docker-compose.yml"), "utf8")).toContain(
      `command: ["node", ${nodeArgs("web").map((a) => JSON.stringify(a)).join(", ")}, "scripts/web-server.mjs"`,
    );
  });

  it("keeps the operator's MALLOC_ARENA_MAX", () => {
    expect(childSees(memoryEnv({ ...base(), MALLOC_ARENA_MAX: "4" })).arenas).toBe("4");
  });
});
