import { randomUUID } from "node:crypto";
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";

// A lock file that names the process holding something (a PGlite directory, a nats-server store):
// created exclusively (O_EXCL), holding JSON with the holder's pid and whatever else it wants
// others to know (a URL, a port). A file whose holder died is stale and is taken over. What
// counts as "held" differs per use, so the caller decides for each file it finds.

/** True while a process with this pid exists (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The lock file's contents, or undefined when it is missing, unreadable or half-written. */
export function readPidLock<T extends object>(file: string): Partial<T> | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as Partial<T>) : undefined;
  } catch {
    return undefined;
  }
}

export interface PidLock<T extends object> {
  readonly file: string;
  /** Replaces the contents, if the file is still ours (nobody took it over as stale). */
  update(content: T): void;
  /** Deletes the file, if it is still ours. */
  release(): void;
}

/**
 * What to do about a lock file someone else holds: `"stale"` removes it and tries again,
 * `"retry"` tries again as it is (after the caller waited); to refuse, throw.
 */
export type LockVerdict = "stale" | "retry";

/** Claims `file` for this process, writing `content` plus our pid and a token of this claim. */
export async function claimPidLock<T extends object>(
  file: string,
  content: T,
  judge: (held: Partial<T & { pid: number }> | undefined) => LockVerdict | Promise<LockVerdict>,
): Promise<PidLock<T>> {
  const token = randomUUID();
  const stamp = (c: T) => JSON.stringify({ ...c, pid: process.pid, token });
  for (;;) {
    try {
      writeFileSync(file, stamp(content), { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const verdict = await judge(readPidLock<T & { pid: number }>(file));
    if (verdict === "stale") {
      try {
        unlinkSync(file);
      } catch {
        // Someone else removed it first; the next exclusive write decides who gets it.
      }
    }
  }
  const mine = () => readPidLock<{ token: string }>(file)?.token === token;
  return {
    file,
    update(next) {
      if (mine()) writeFileSync(file, stamp(next));
    },
    release() {
      if (!mine()) return;
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    },
  };
}
