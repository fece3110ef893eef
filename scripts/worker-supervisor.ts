// `npm start` runs the runtime worker beside the web app. A worker that crashes — a bug, a fatal
// V8 error, its database gone — is restarted with backoff instead of taking the web app down;
// the log says why it stopped (exit code or signal, and its last lines of stderr).
import { spawn, type ChildProcess } from "node:child_process";

export interface SupervisorOptions {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** First restart delay; doubles per crash up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A run that lasted this long resets the backoff. */
  stableAfterMs?: number;
  log?: (line: string) => void;
}

export interface Supervisor {
  /** The running child, if any. */
  current(): ChildProcess | null;
  restarts(): number;
  /** Stops restarting and ends the child with SIGTERM; resolves when it exited. */
  stop(): Promise<void>;
}

const STDERR_LINES_KEPT = 5;

export function superviseProcess(options: SupervisorOptions): Supervisor {
  const initial = options.initialBackoffMs ?? 1_000;
  const max = options.maxBackoffMs ?? 30_000;
  const stableAfter = options.stableAfterMs ?? 60_000;
  const log = options.log ?? ((line) => console.log(line));
  let child: ChildProcess | null = null;
  let stopping = false;
  let restarts = 0;
  let backoff = initial;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const start = () => {
    timer = null;
    if (stopping) return;
    const startedAt = Date.now();
    const recent: string[] = [];
    // The IPC channel only tells the child when this process is gone (its "disconnect" event),
    // however it ended: a supervised worker does not outlive the app that started it.
    const proc = spawn(options.command, options.args, { stdio: ["ignore", "inherit", "pipe", "ipc"], env: options.env });
    child = proc;
    let partial = "";
    proc.stderr?.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) recent.push(line.trim());
      recent.splice(0, Math.max(0, recent.length - STDERR_LINES_KEPT));
    });
    proc.on("exit", (code, signal) => {
      if (partial.trim()) recent.push(partial.trim());
      child = null;
      if (stopping) return;
      if (Date.now() - startedAt >= stableAfter) backoff = initial;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const why = recent.length > 0 ? `; last output: ${recent.at(-1)}` : "";
      log(`[syncline] ${options.name} ${how}${why}. Restarting in ${backoff < 1000 ? `${backoff} ms` : `${Math.round(backoff / 1000)} s`}; the web app keeps running.`);
      restarts++;
      timer = setTimeout(start, backoff);
      backoff = Math.min(max, backoff * 2);
    });
  };
  start();

  return {
    current: () => child,
    restarts: () => restarts,
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      const running = child;
      if (running && running.exitCode === null && running.signalCode === null) {
        const exited = new Promise((resolve) => running.once("exit", resolve));
        running.kill("SIGTERM");
        await exited;
      }
    },
  };
}
