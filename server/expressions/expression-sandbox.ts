// A warm pool of worker threads that evaluates JSONata for the runtime. A thread has a heap limit
// (resourceLimits) and every evaluation a hard wall-clock deadline: when either is hit the thread
// is terminated and replaced, and only that evaluation fails. JSONata's own timeout only checks
// between evaluation steps, so without the thread one `$pad`/regex bomb would freeze the worker's
// event loop (every partition, its heartbeat) or abort the process.
//
// Why not piscina/tinypool: their deadline is an AbortSignal that starts when the task is
// queued, so a burst of slow expressions would make innocent queued ones fail as "too slow".
// Here the deadline starts when a thread takes the task. See docs/decisions/0008-expression-sandbox-and-input-boundaries.md.
//
// Node built-ins are reached through process.getBuiltinModule, and the thread's module by a path
// built at run time, so that no bundler (Next's, the worker's esbuild) follows them into a bundle
// where they cannot work. Only evaluation needs them; the editor's syntax check is expression-syntax.ts.
import type { Worker as ThreadWorker } from "node:worker_threads";

export interface SandboxLimits {
  /** Threads kept warm. Default 1: expressions are short, and on two cores a second thread bought
   *  no throughput but cost ~20 MB (docs/decisions/0034-memory-launcher-and-one-expression-thread.md). */
  threads: number;
  /** Old-generation heap of each thread, in MB. Default 64. */
  heapMb: number;
}

export type SandboxOutcome =
  | { ok: true; value: unknown }
  | { ok: false; error: { message: string; position: number; code?: string }; killed?: "deadline" | "memory" | "crash" };

interface Task {
  id: number;
  expression: string;
  context: { event: unknown; steps: Record<string, unknown> };
  timeoutMs: number;
  resolve: (outcome: SandboxOutcome) => void;
}

interface Slot {
  thread: ThreadWorker;
  task: Task | null;
  timer: ReturnType<typeof setTimeout> | null;
  /** The thread has loaded JSONata; the deadline must not count its start-up. */
  ready: boolean;
  /** Set when the pool itself ends the thread (deadline, close), so its exit is not a crash. */
  endedBy: "deadline" | "close" | null;
}

const DEFAULT_LIMITS: SandboxLimits = { threads: 1, heapMb: 64 };

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function builtin<T>(id: string): T {
  const getBuiltinModule = (process as unknown as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (typeof getBuiltinModule !== "function") throw new Error("Expressions are evaluated on the server only (Node.js ≥ 20.16)");
  return getBuiltinModule(id) as T;
}

function threadFile(): string {
  const { fileURLToPath } = builtin<typeof import("node:url")>("node:url");
  const { existsSync } = builtin<typeof import("node:fs")>("node:fs");
  const path = builtin<typeof import("node:path")>("node:path");
  const name = "expression-sandbox-thread.mjs";
  const here = path.dirname(fileURLToPath(import.meta.url));
  // Beside this file when run from source (tests, tsx); from the worker bundle in .build/ it is
  // ../server/expressions; the working directory is the last resort.
  const candidates = [path.join(here, name), path.join(here, "..", "server", "expressions", name), path.resolve("server", "expressions", name)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`Expression sandbox thread file ${name} not found (looked in ${candidates.join(", ")})`);
  return found;
}

export class ExpressionSandbox {
  private readonly limits: SandboxLimits;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  private file: string | null = null;
  /** Threads that died before they were ready, in a row; past a few the pool stops retrying. */
  private startupFailures = 0;
  private broken: string | null = null;
  /** How many threads were replaced after a deadline, heap overflow or crash (for tests and logs). */
  replacedThreads = 0;

  constructor(limits: Partial<SandboxLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Starts the threads now instead of on the first evaluation. */
  warmUp(): void {
    while (!this.closed && this.slots.length < this.limits.threads) this.slots.push(this.startSlot());
  }

  evaluate(expression: string, context: Task["context"], timeoutMs: number): Promise<SandboxOutcome> {
    if (this.closed) return Promise.resolve({ ok: false, error: { message: "Expression sandbox is shut down", position: 0 } });
    if (this.broken) return Promise.resolve({ ok: false, killed: "crash", error: { message: this.broken, position: 0 } });
    this.warmUp();
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, expression, context, timeoutMs, resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.resolve({ ok: false, error: { message: "Expression sandbox is shut down", position: 0 } });
    await Promise.all(
      this.slots.splice(0).map((slot) => {
        slot.endedBy = "close";
        if (slot.timer) clearTimeout(slot.timer);
        slot.task?.resolve({ ok: false, error: { message: "Expression sandbox is shut down", position: 0 } });
        return slot.thread.terminate();
      }),
    );
  }

  private startSlot(): Slot {
    const { Worker } = builtin<typeof import("node:worker_threads")>("node:worker_threads");
    this.file ??= threadFile();
    const thread = new Worker(this.file, {
      resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb, maxYoungGenerationSizeMb: Math.max(4, Math.round(this.limits.heapMb / 8)) },
      // The thread must not inherit loaders (tsx, the test runner's) it does not need.
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    thread.unref();
    const slot: Slot = { thread, task: null, timer: null, endedBy: null, ready: false };
    thread.on("message", (message: ({ id: number } & SandboxOutcome) | { ready: true }) => {
      if ("ready" in message) {
        slot.ready = true;
        this.startupFailures = 0;
        this.dispatch();
        return;
      }
      if (slot.task?.id !== message.id) return;
      const task = slot.task;
      this.release(slot);
      const { id: _id, ...outcome } = message;
      task.resolve(outcome as SandboxOutcome);
      this.dispatch();
    });
    let failure: Error | null = null;
    thread.on("error", (error) => {
      failure = error;
    });
    thread.on("exit", () => {
      const index = this.slots.indexOf(slot);
      if (index !== -1) this.slots.splice(index, 1);
      const task = slot.task;
      if (slot.timer) clearTimeout(slot.timer);
      slot.task = null;
      if (slot.endedBy === "close") return;
      if (!slot.ready) {
        this.startupFailures++;
        if (this.startupFailures >= 3) {
          this.broken = `Expression sandbox cannot start a thread: ${failure?.message ?? "it exited"}`;
          for (const queued of this.queue.splice(0)) queued.resolve({ ok: false, killed: "crash", error: { message: this.broken, position: 0 } });
          return;
        }
      }
      if (task) {
        const outOfMemory = (failure as (Error & { code?: string }) | null)?.code === "ERR_WORKER_OUT_OF_MEMORY";
        if (slot.endedBy === "deadline") {
          task.resolve({ ok: false, killed: "deadline", error: { message: `Expression exceeded ${formatSeconds(task.timeoutMs)} and was stopped`, position: 0, code: "D1012" } });
        } else if (outOfMemory) {
          task.resolve({ ok: false, killed: "memory", error: { message: `Expression exceeded ${this.limits.heapMb} MB of memory and was stopped`, position: 0 } });
        } else {
          task.resolve({ ok: false, killed: "crash", error: { message: `Expression evaluation failed: ${failure?.message ?? "the thread stopped"}`, position: 0 } });
        }
      }
      this.replacedThreads++;
      if (!this.closed) {
        this.slots.push(this.startSlot());
        this.dispatch();
      }
    });
    return slot;
  }

  private release(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.task = null;
    slot.thread.unref();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.task || slot.endedBy || !slot.ready) continue;
      const task = this.queue.shift()!;
      slot.task = task;
      // Referenced while busy, so a process that awaits an evaluation does not exit under it.
      slot.thread.ref();
      slot.timer = setTimeout(() => {
        slot.endedBy = "deadline";
        void slot.thread.terminate();
      }, task.timeoutMs);
      try {
        slot.thread.postMessage({ id: task.id, expression: task.expression, context: task.context, timeoutMs: task.timeoutMs });
      } catch (error) {
        this.release(slot);
        queueMicrotask(() => this.dispatch());
        task.resolve({ ok: false, error: { message: `Expression input cannot be evaluated: ${error instanceof Error ? error.message : String(error)}`, position: 0 } });
      }
    }
  }
}

interface ThreadModule {
  evaluateInSandbox(task: { expression: string; context: Task["context"]; timeoutMs: number }): Promise<SandboxOutcome>;
}
let threadModule: Promise<ThreadModule> | null = null;

/**
 * Evaluates with the thread's own code (the same caps, errors and plain-JSON results) but on the
 * calling thread, without the round trip: only for expressions that cannot run away
 * (straight-line.ts decides which). The module is loaded by its path at run time, so no bundler
 * pulls it (or RE2JS) into a browser bundle.
 */
export async function evaluateOnThisThread(expression: string, context: Task["context"], timeoutMs: number): Promise<SandboxOutcome> {
  threadModule ??= (async () => {
    const { pathToFileURL } = builtin<typeof import("node:url")>("node:url");
    return (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ pathToFileURL(threadFile()).href)) as ThreadModule;
  })();
  return (await threadModule).evaluateInSandbox({ expression, context, timeoutMs });
}

let shared: ExpressionSandbox | null = null;

/** The process-wide sandbox, started on first use. */
export function sharedExpressionSandbox(): ExpressionSandbox {
  shared ??= new ExpressionSandbox();
  return shared;
}
