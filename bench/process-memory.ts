// Resident memory and CPU of a process and everything it started (`npm start`'s process serves
// the web app and starts the worker; either may fork): read from /proc, so Linux only.
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessRss {
  pid: number;
  /** The command, shortened: `node … scripts/run-bundled.mjs start`, `node … scripts/run-worker.mjs`. */
  command: string;
  rssMb: number;
}

function parentOf(pid: number): number | null {
  const stat = statOf(pid);
  return stat ? Number(stat.fields[1]) : null;
}

function rssMbOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return Math.round(kb / 102.4) / 10;
  } catch {
    return 0;
  }
}

function commandOf(pid: number): string {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    const short = args.map((a) => (a.includes("/") && !a.startsWith("--") ? a.split("/").slice(-2).join("/") : a));
    // Long enough for node flags before the script (npm start passes some, scripts/child-memory.ts):
    // bench/run.ts finds the web app and the worker by their script's name in it.
    return short.join(" ").slice(0, 160);
  } catch {
    return "?";
  }
}

/** The process `root` and all its descendants with their RSS now. */
export function processTree(root: number): ProcessRss[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const parent = parentOf(pid);
    if (parent === null) continue;
    children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const out: ProcessRss[] = [];
  const visit = (pid: number) => {
    out.push({ pid, command: commandOf(pid), rssMb: rssMbOf(pid) });
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return out;
}

/** Samples a process tree every second; `stop()` returns each process's peak and the peak total. */
export function sampleTree(root: number) {
  const peaks = new Map<number, ProcessRss>();
  let peakTotal = 0;
  const sample = () => {
    const tree = processTree(root);
    for (const p of tree) {
      const seen = peaks.get(p.pid);
      if (!seen || p.rssMb > seen.rssMb) peaks.set(p.pid, p);
    }
    peakTotal = Math.max(peakTotal, tree.reduce((sum, p) => sum + p.rssMb, 0));
  };
  sample();
  const timer = setInterval(sample, 1_000);
  return {
    stop(): { processes: ProcessRss[]; peakTotalMb: number } {
      clearInterval(timer);
      sample();
      return { processes: [...peaks.values()], peakTotalMb: Math.round(peakTotal * 10) / 10 };
    },
  };
}

/** A process's command name and the fields of /proc/<pid>/stat after it; undefined once it ended. */
function statOf(pid: number | string): { name: string; fields: string[] } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command in field 2 is in parentheses and may contain spaces.
    return { name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), fields: stat.slice(stat.lastIndexOf(")") + 2).split(" ") };
  } catch {
    return undefined;
  }
}

/** utime + stime (fields 14 and 15 of the stat line), in ms (clock ticks of 10 ms). */
function cpuMsIn(fields: string[]): number {
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU time (user + system) a process has used so far, in ms. */
export function cpuMsOf(pid: number): number {
  const stat = statOf(pid);
  return stat ? cpuMsIn(stat.fields) : 0;
}

/**
 * CPU time (user + system, ms) used so far by every process of this machine whose command name
 * starts with `name` (`postgres`: the server and its backends; `nats-server`). Processes that
 * ended in between are not counted, so take it around a phase in which the server's processes stay.
 */
export function cpuMsOfCommand(name: string): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(entry);
    if (stat?.name.startsWith(name)) total += cpuMsIn(stat.fields);
  }
  return total;
}
