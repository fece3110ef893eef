import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { superviseProcess, type Supervisor } from "./worker-supervisor";

const fixture = path.join(import.meta.dirname, "fixtures", "crashing-worker.mjs");
let dir: string;
let supervisor: Supervisor | undefined;

afterEach(async () => {
  await supervisor?.stop();
  supervisor = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until(condition: () => boolean, what: string) {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
  return what;
}

describe("worker supervision", () => {
  it("restarts a crashing worker with growing backoff, says why, and keeps the web side serving", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "syncline-supervisor-"));
    const counter = path.join(dir, "starts");
    // The web app's stand-in: it must keep answering while the worker crashes and restarts.
    const web = createServer((_req, res) => res.end("page"));
    await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
    const { port } = web.address() as { port: number };
    const lines: string[] = [];
    try {
      supervisor = superviseProcess({
        name: "worker",
        command: process.execPath,
        args: [fixture],
        env: { ...process.env, COUNTER_FILE: counter, CRASHES: "3" },
        initialBackoffMs: 20,
        maxBackoffMs: 1_000,
        log: (line) => lines.push(line),
      });
      await until(() => supervisor!.restarts() === 3, "three restarts");
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("page");
      // The fourth start stays up.
      await until(() => readFileSync(counter, "utf8").length === 4 && supervisor!.current() !== null, "fourth start");
      expect(lines).toEqual([
        "[syncline] worker exited with code 3; last output: Error: database write failed on start 1. Restarting in 20 ms; the web app keeps running.",
        "[syncline] worker exited with code 3; last output: Error: database write failed on start 2. Restarting in 40 ms; the web app keeps running.",
        "[syncline] worker exited with code 3; last output: Error: database write failed on start 3. Restarting in 80 ms; the web app keeps running.",
      ]);
      const running = supervisor.current()!;
      await supervisor.stop();
      expect(running.exitCode ?? running.signalCode).not.toBeNull();
      expect(supervisor.restarts()).toBe(3);
    } finally {
      web.close();
    }
  });

  it("reports a worker killed by a signal", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "syncline-supervisor-"));
    const lines: string[] = [];
    supervisor = superviseProcess({
      name: "worker",
      command: process.execPath,
      args: [fixture],
      env: { ...process.env, COUNTER_FILE: path.join(dir, "starts"), CRASHES: "0" },
      initialBackoffMs: 20,
      log: (line) => lines.push(line),
    });
    await until(() => supervisor!.current()?.pid !== undefined, "started");
    supervisor.current()!.kill("SIGKILL");
    await until(() => lines.length === 1, "reported");
    expect(lines[0]).toMatch(/^\[syncline\] worker was killed by SIGKILL\. Restarting in 20 ms/);
  });
});

describe("npm run worker", () => {
  it("exits non-zero on a fatal error, so an orchestrator restarts it", () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const result = spawnSync(process.execPath, ["--conditions=react-server", path.join(import.meta.dirname, "run-worker.mjs")], { env, encoding: "utf8", timeout: 60_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/DATABASE_URL is not set/);
  });
});
