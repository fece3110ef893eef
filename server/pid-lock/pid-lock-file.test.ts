import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { claimPidLock, processAlive, readPidLock } from "./pid-lock-file";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "syncline-pid-lock-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited (so it is surely not alive). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

describe("pid lock file", () => {
  it("is created with our pid, updated and released only while it is ours", async () => {
    const file = path.join(dir, "a.lock");
    const lock = await claimPidLock(file, { port: 1 }, () => { throw new Error("nobody holds it"); });
    expect(readPidLock<{ pid: number; port: number }>(file)).toMatchObject({ pid: process.pid, port: 1 });
    lock.update({ port: 2 });
    expect(readPidLock<{ port: number }>(file)?.port).toBe(2);
    // Someone took it over (it looked stale to them): our update and release leave theirs alone.
    await writeFile(file, JSON.stringify({ pid: 1, token: "theirs" }));
    lock.update({ port: 3 });
    lock.release();
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ pid: 1, token: "theirs" });
  });

  it("asks what to do about a file someone holds: refuse (throw), or take over a stale one", async () => {
    const file = path.join(dir, "b.lock");
    await writeFile(file, JSON.stringify({ pid: process.ppid, url: "postgres://x" }));
    await expect(claimPidLock(file, {}, (held) => {
      if (held?.pid && processAlive(held.pid)) throw new Error(`held by ${held.pid}`);
      return "stale";
    })).rejects.toThrow(`held by ${process.ppid}`);

    const gone = await deadPid();
    expect(processAlive(gone)).toBe(false);
    await writeFile(file, JSON.stringify({ pid: gone }));
    const seen: unknown[] = [];
    const lock = await claimPidLock(file, { url: "mine" }, (held) => { seen.push(held); return "stale"; });
    expect(seen).toEqual([{ pid: gone }]);
    expect(readPidLock<{ pid: number; url: string }>(file)).toMatchObject({ pid: process.pid, url: "mine" });
    lock.release();
    expect(existsSync(file)).toBe(false);
  });
});
