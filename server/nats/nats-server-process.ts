import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants, mkdirSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { canBind, findFreePort, probeNatsPort } from "./probe";
import { claimPidLock, processAlive } from "@/server/pid-lock/pid-lock-file";

const HOST = "127.0.0.1";
const FALLBACK_BINARY = "/usr/sbin/nats-server";
// Polling interval while waiting for a port to open or close: short, because tests wait on it.
const POLL_MS = 20;

/** How to get NATS running; shown whenever Syncline cannot find or start a server by itself. */
const NATS_INSTALL_HELP = [
  "Syncline needs a NATS server with JetStream. Either:",
  "  - install nats-server so Syncline can start one for you:",
  "      Debian/Ubuntu: apt-get install nats-server",
  "      macOS:         brew install nats-server",
  "    (or set NATS_SERVER_BINARY to the path of a nats-server binary), or",
  "  - run one yourself, e.g. with Docker: docker run -p 4222:4222 nats -js",
  "    and, if it is not on 127.0.0.1:4222, set NATS_URL (e.g. NATS_URL=nats://host:4222).",
].join("\n");

export class NatsServerNotFoundError extends Error {
  constructor(detail: string) {
    super(`${detail}\n${NATS_INSTALL_HELP}`);
    this.name = "NatsServerNotFoundError";
  }
}

class NatsServerStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
    options?: ErrorOptions,
  ) {
    super(output ? `${message}\n--- nats-server output (last lines) ---\n${output}` : message, options);
    this.name = "NatsServerStartError";
  }
}

/** The port was taken, by another program or by a second server started at the same moment. */
export class NatsPortInUseError extends NatsServerStartError {
  constructor(message: string, output: string) {
    super(message, output);
    this.name = "NatsPortInUseError";
  }
}

/** Another nats-server (started by Syncline, maybe in another process) runs on this store. */
export class NatsStoreInUseError extends Error {
  constructor(
    readonly storeDir: string,
    readonly lockFile: string,
    readonly holderPid: number,
    /** The port the holder's server listens on, when it got that far. */
    readonly port: number | undefined,
  ) {
    super(
      `JetStream store ${storeDir} is in use by another nats-server (pid ${holderPid}` +
        `${port ? `, port ${port}` : ""}). Two servers must never share a store. If that process ` +
        `is gone, delete ${lockFile}.`,
    );
    this.name = "NatsStoreInUseError";
  }
}

export interface StartNatsServerOptions {
  /**
   * 0 or undefined: a free port chosen for you (nats-server itself would treat `-p 0` as 4222).
   * A given port that is already taken fails at once with NatsPortInUseError.
   */
  port?: number;
  /** JetStream store directory (`-sd`); created if missing. */
  storeDir: string;
  /** Path to nats-server; default: $NATS_SERVER_BINARY, `nats-server` on PATH, /usr/sbin/nats-server. */
  binary?: string;
  /** How long to wait for the server to accept connections (store recovery can take a while). */
  startTimeoutMs?: number;
  /**
   * A nats-server configuration file (`-c`) for settings that have no flag, such as accounts or
   * TLS. Host, port, JetStream and the store still come from the options above.
   */
  configFile?: string;
}

export interface NatsServerProcess {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly binary: string;
  /** PID of the current process; undefined after stop()/kill(). */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Graceful shutdown (SIGTERM, escalating to SIGKILL if it hangs); resolves once it exited. */
  stop(): Promise<void>;
  /** Crash it (SIGKILL); resolves once it exited. */
  kill(): Promise<void>;
  /** Stop it if running, then start again on the same port with the same store. */
  restart(): Promise<void>;
  /** The last lines nats-server logged, for error messages and debugging. */
  output(): string;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  const exts = process.platform === "win32" ? ["", ".exe"] : [""];
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * Locates nats-server. An explicitly named binary that does not exist is an error rather than a
 * reason to fall back, so a typo in NATS_SERVER_BINARY does not silently run some other version.
 */
export function findNatsServerBinary(explicit?: string): string {
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new NatsServerNotFoundError(`nats-server binary "${explicit}" does not exist or is not executable.`);
  }
  const fromEnv = process.env.NATS_SERVER_BINARY;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new NatsServerNotFoundError(
      `NATS_SERVER_BINARY="${fromEnv}" does not exist or is not executable.`,
    );
  }
  const found = onPath("nats-server") ?? (isExecutable(FALLBACK_BINARY) ? FALLBACK_BINARY : undefined);
  if (found) return found;
  throw new NatsServerNotFoundError(
    `No nats-server binary found (looked at $NATS_SERVER_BINARY, "nats-server" on PATH and ${FALLBACK_BINARY}).`,
  );
}

// Servers we started, so they die with this process instead of lingering as orphans that hold
// the port and the store. Kept on globalThis: Next dev re-evaluates modules on every edit.
const LIVE = Symbol.for("syncline.nats.liveServers");
type LiveRegistry = { children: Set<ChildProcess> };
function liveRegistry(): LiveRegistry {
  const g = globalThis as typeof globalThis & { [LIVE]?: LiveRegistry };
  if (!g[LIVE]) {
    const registry: LiveRegistry = { children: new Set() };
    process.once("exit", () => {
      for (const child of registry.children) child.kill("SIGTERM");
    });
    g[LIVE] = registry;
  }
  return g[LIVE];
}

type Exit = { code: number | null; signal: NodeJS.Signals | null; error?: Error };

interface Spawned {
  child: ChildProcess;
  exited: Promise<Exit>;
  hasExited: () => boolean;
  output: () => string;
  serverId: () => string | undefined;
  listening: () => boolean;
}

const OUTPUT_LIMIT = 16 * 1024;

function spawnServer(binary: string, port: number, storeDir: string, configFile?: string): Spawned {
  const config = configFile ? ["-c", configFile] : [];
  const child = spawn(binary, [...config, "-a", HOST, "-p", String(port), "-js", "-sd", storeDir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  let serverId: string | undefined;
  let listening = false;
  // The pipes must be drained, or a chatty server blocks once the pipe buffer is full.
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-OUTPUT_LIMIT);
    serverId ??= /\]\s+ID:\s+(N[A-Z0-9]+)/.exec(log)?.[1];
    listening ||= log.includes("Listening for client connections");
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let done = false;
  const registry = liveRegistry();
  registry.children.add(child);
  const exited = new Promise<Exit>((resolve) => {
    const end = (exit: Exit) => {
      if (done) return;
      done = true;
      registry.children.delete(child);
      resolve(exit);
    };
    child.once("error", (error) => end({ code: null, signal: null, error }));
    child.once("exit", (code, signal) => end({ code, signal }));
  });
  return {
    child,
    exited,
    hasExited: () => done,
    output: () => log.split("\n").slice(-25).join("\n").trim(),
    serverId: () => serverId,
    listening: () => listening,
  };
}

async function waitUntilReady(s: Spawned, port: number, deadline: number): Promise<void> {
  let answeringSince: number | undefined;
  for (;;) {
    if (s.hasExited()) {
      const exit = await s.exited;
      const out = s.output();
      if (exit.error) {
        throw new NatsServerStartError(`could not run nats-server: ${exit.error.message}`, out, { cause: exit.error });
      }
      if (/address already in use/i.test(out)) {
        throw new NatsPortInUseError(`port ${port} on ${HOST} is already in use`, out);
      }
      throw new NatsServerStartError(
        `nats-server exited during start-up (code ${exit.code ?? "none"}, signal ${exit.signal ?? "none"})`,
        out,
      );
    }
    const probe = await probeNatsPort(HOST, port, 250);
    if (probe.kind === "nats" && !s.hasExited()) {
      // Someone else's server may answer on this port while ours is about to fail to bind it:
      // the server id from our log (or, failing that, our log saying it listens) tells them apart.
      const ours = s.serverId();
      if (ours !== undefined ? ours === probe.info.server_id : s.listening()) return;
      // Neither line in the log (a future log format?): accept a server that keeps answering
      // while ours stays alive, rather than never becoming ready.
      answeringSince ??= Date.now();
      if (Date.now() - answeringSince > 2000) return;
    }
    if (Date.now() > deadline) {
      s.child.kill("SIGKILL");
      await s.exited;
      throw new NatsServerStartError(`nats-server did not accept connections on ${HOST}:${port} in time`, s.output());
    }
    await sleep(POLL_MS);
  }
}

// nats-server 2.9 does not lock its store directory: a second server on the same -sd starts
// happily and both write to the same files. Two Syncline processes auto-starting at once, or an
// orphaned server from a killed dev session on a fallback port, would do exactly that. So we
// keep our own lock next to the store, naming the server's pid and port.
const LOCK_FILE = "syncline-nats-server.lock";
/** `pid`: the process starting the server; `server`: the nats-server's pid once it runs. */
type LockContent = { port: number; server?: number };

interface StoreLock {
  setServer(pid: number): void;
  release(): void;
}

async function acquireStoreLock(storeDir: string, port: number, deadline: number): Promise<StoreLock> {
  const file = path.join(storeDir, LOCK_FILE);
  const lock = await claimPidLock<LockContent>(file, { port }, async (held) => {
    if (typeof held?.server === "number") {
      // A recorded server counts only while it answers on its port: pids get reused.
      if (processAlive(held.server) && typeof held.port === "number" && (await probeNatsPort(HOST, held.port, 500)).kind === "nats") {
        throw new NatsStoreInUseError(storeDir, file, held.server, held.port);
      }
      return "stale";
    }
    if (typeof held?.pid === "number" && processAlive(held.pid)) {
      // Its owner is starting a server right now: wait to learn its port instead of failing.
      if (Date.now() > deadline) throw new NatsStoreInUseError(storeDir, file, held.pid, undefined);
      await sleep(POLL_MS);
      return "retry";
    }
    return "stale"; // unreadable, half-written, or its owner died
  });
  return {
    setServer: (pid) => lock.update({ port, server: pid }),
    release: () => lock.release(),
  };
}

async function waitForPortFree(port: number, deadline: number): Promise<void> {
  while (!(await canBind(HOST, port))) {
    if (Date.now() > deadline) throw new NatsPortInUseError(`port ${port} on ${HOST} did not become free`, "");
    await sleep(POLL_MS);
  }
}

/**
 * Runs `nats-server -a 127.0.0.1 -p <port> -js -sd <storeDir>` and resolves once it accepts
 * connections. Meant for the local default and for fault tests that kill and restart a server.
 */
export async function startNatsServer(options: StartNatsServerOptions): Promise<NatsServerProcess> {
  const binary = findNatsServerBinary(options.binary);
  const storeDir = path.resolve(options.storeDir);
  mkdirSync(storeDir, { recursive: true });
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const pickPort = !options.port;

  let current: Spawned | undefined;
  let last: Spawned | undefined;
  let port = options.port || 0;

  // "pick": a port we chose, so choose another if it is taken. "fixed": the caller's port; taken
  // means fail now, so a caller can look at who holds it. "restart": our own port, which the old
  // process (or its sockets) may still hold for a moment, so wait for it until the deadline.
  const launch = async (mode: "pick" | "fixed" | "restart", deadline: number): Promise<void> => {
    for (;;) {
      try {
        if (mode === "restart") await waitForPortFree(port, deadline);
        else if (!(await canBind(HOST, port))) throw new NatsPortInUseError(`port ${port} on ${HOST} is already in use`, "");
        const lock = await acquireStoreLock(storeDir, port, deadline);
        const s = spawnServer(binary, port, storeDir, options.configFile);
        last = s;
        void s.exited.then(() => lock.release());
        await waitUntilReady(s, port, deadline);
        if (s.child.pid !== undefined) lock.setServer(s.child.pid);
        current = s;
        return;
      } catch (err) {
        if (!(err instanceof NatsPortInUseError) || mode === "fixed" || Date.now() > deadline) throw err;
        if (mode === "pick") port = await findFreePort(HOST);
      }
    }
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const s = current;
    if (!s) return;
    if (!s.hasExited()) {
      s.child.kill(signal);
      if (signal !== "SIGKILL") {
        // A server stuck in shutdown must not hang tests or the app's exit forever.
        const timer = setTimeout(() => s.child.kill("SIGKILL"), 15_000);
        await s.exited;
        clearTimeout(timer);
      }
    }
    await s.exited;
    if (current === s) current = undefined;
  };

  if (pickPort) port = await findFreePort(HOST);
  await launch(pickPort ? "pick" : "fixed", Date.now() + startTimeoutMs);

  return {
    get url() {
      return `nats://${HOST}:${port}`;
    },
    get port() {
      return port;
    },
    storeDir,
    binary,
    get pid() {
      return current && !current.hasExited() ? current.child.pid : undefined;
    },
    get running() {
      return current !== undefined && !current.hasExited();
    },
    stop: () => terminate("SIGTERM"),
    kill: () => terminate("SIGKILL"),
    async restart() {
      await terminate("SIGTERM");
      await launch("restart", Date.now() + startTimeoutMs);
    },
    output: () => last?.output() ?? "",
  };
}
