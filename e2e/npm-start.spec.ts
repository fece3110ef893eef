import { readFileSync } from "node:fs";
import { expect, test } from "./fixtures";
import { startFirstStartServer } from "./first-start-server";
import { processTree } from "../bench/process-memory";

// `npm start` serves the web app in its own process and starts the worker beside it
// (docs/decisions/0043). However that process ends, the worker must not outlive it: a worker
// left behind would go on holding its partitions, on a laptop where nobody sees it.

const port = Number(process.env.E2E_PORT ?? 3100) + 101;

/** The runtime worker npm start's process started (its child running scripts/run-worker.mjs). */
function workerOf(pid: number): number | undefined {
  return processTree(pid).find((p) => p.pid !== pid && p.command.includes("run-worker.mjs"))?.pid;
}

function isRunning(pid: number): boolean {
  try {
    // A zombie (exited, not yet reaped by its new parent) counts as ended.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

test.describe("npm start", () => {
  test.describe.configure({ timeout: 180_000 });

  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    test(`${signal} to its process: the web app stops answering and the worker it started ends`, async () => {
      const server = await startFirstStartServer(port);
      try {
        const app = server.process;
        // The worker starts before the web app listens, so it is there once the app answers;
        // it runs once it has taken its partitions.
        const worker = workerOf(app.pid!);
        await expect.poll(() => server.output(), { timeout: 60_000 }).toMatch(/\[worker\] .* started; partitions/);
        expect(worker, server.output()).toBeDefined();
        expect(isRunning(worker!)).toBe(true);

        const exited = new Promise<number | string | null>((resolve) => app.once("exit", (code, sig) => resolve(code ?? sig)));
        app.kill(signal);
        // SIGTERM: everything is stopped in order, then it exits cleanly.
        expect(await exited).toBe(signal === "SIGTERM" ? 0 : "SIGKILL");
        await expect.poll(() => isRunning(worker!), { timeout: 60_000, message: `worker ${worker} still running:\n${server.output()}` }).toBe(false);
        await expect(fetch(`${server.url}/api/health`)).rejects.toThrow();
        if (signal === "SIGKILL") expect(server.output()).toContain("[worker] npm start ended: finishing in-flight work");
      } finally {
        await server.stop();
      }
    });
  }
});
