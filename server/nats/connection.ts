// No `import "server-only"` here: its default export throws outside React Server Components, so
// vitest and tsx (worker, scripts) could not load this module. Nothing here is importable from a
// client component anyway: it depends on node:net and node:child_process.
import path from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { env, parseEnv } from "../env";
import { explainNatsConnectError, natsAuthOptions, natsAuthSettingsFromEnv, redactUrl, type NatsAuthSettings } from "./auth-options";
import {
  NatsPortInUseError,
  NatsServerNotFoundError,
  NatsStoreInUseError,
  startNatsServer,
  type NatsServerProcess,
} from "./nats-server-process";
import { withDeadline } from "./deadline";
import { isJetStreamUnavailable, isNatsTimeout } from "./nats-errors";
import { probeNatsPort } from "./probe";

const DEFAULT_NATS_HOST = "127.0.0.1";
const DEFAULT_NATS_PORT = 4222;

export interface ResolveNatsUrlOptions {
  /** NATS_URL. When set it is used as is, without probing. */
  natsUrl?: string | undefined;
  /** DATA_DIR. A server started here keeps its JetStream store in `<dataDir>/nats`. */
  dataDir: string;
  /** Where a default server is looked for and started (127.0.0.1). Tests use a free port. */
  defaultPort?: number;
  /** nats-server binary for the started server; default lookup as in startNatsServer. */
  binary?: string;
  probeTimeoutMs?: number;
  /** Told when a server is started, so the user knows where their messages live. */
  log?: (message: string) => void;
}

export interface ResolvedNats {
  url: string;
  /** env: NATS_URL; existing: a server already answered on the default port; started: we run it. */
  source: "env" | "existing" | "started";
  /** Only for source "started". */
  server?: NatsServerProcess;
  /** Stops the server we started; does nothing for the other sources. */
  stop(): Promise<void>;
}

const noop = async () => {};

/**
 * Finds the NATS server to use: NATS_URL; else one already on 127.0.0.1:4222; else a nats-server
 * started with JetStream and its store under `<dataDir>/nats`. A default that just works matters
 * more here than purity: `npm run dev` on a machine with nats-server installed needs no setup.
 */
export async function resolveNatsUrl(options: ResolveNatsUrlOptions): Promise<ResolvedNats> {
  if (options.natsUrl) return { url: options.natsUrl, source: "env", stop: noop };

  const port = options.defaultPort ?? DEFAULT_NATS_PORT;
  const probeTimeoutMs = options.probeTimeoutMs ?? 1000;
  const existing = (p = port): ResolvedNats => ({ url: `nats://${DEFAULT_NATS_HOST}:${p}`, source: "existing", stop: noop });

  const probe = await probeNatsPort(DEFAULT_NATS_HOST, port, probeTimeoutMs);
  if (probe.kind === "nats") return existing();

  const storeDir = path.resolve(options.dataDir, "nats");
  const start = (p: number) => startNatsServer({ port: p, storeDir, ...(options.binary ? { binary: options.binary } : {}) });
  let server: NatsServerProcess;
  try {
    try {
      // The usual port when it is free, so other tools (nats CLI, a second process) find it too.
      server = await start(probe.kind === "closed" ? port : 0);
    } catch (err) {
      if (!(err instanceof NatsPortInUseError)) throw err;
      // Someone took the port after our probe: possibly another Syncline process that started
      // its own server at the same moment. Use theirs rather than running two.
      const again = await probeNatsPort(DEFAULT_NATS_HOST, port, probeTimeoutMs);
      if (again.kind === "nats") return existing();
      server = await start(0);
    }
  } catch (err) {
    if (err instanceof NatsServerNotFoundError) {
      throw new NatsServerNotFoundError(
        `NATS_URL is not set and no NATS server answers on ${DEFAULT_NATS_HOST}:${port}; starting one failed.\n` +
          (err.message.split("\n")[0] ?? ""),
      );
    }
    // Our store already has a server (an earlier run on a fallback port, or a concurrent
    // start): that server is the one with our data, so use it.
    if (err instanceof NatsStoreInUseError && err.port !== undefined) {
      if ((await probeNatsPort(DEFAULT_NATS_HOST, err.port, probeTimeoutMs)).kind === "nats") return existing(err.port);
    }
    throw err;
  }
  options.log?.(
    `NATS_URL is not set: started nats-server on ${server.url} with JetStream (store ${server.storeDir}).`,
  );
  return { url: server.url, source: "started", server, stop: () => server.stop() };
}

/** NATS_URL may list several servers separated by commas. */
export function natsServers(url: string): string[] {
  return url
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

export type ConnectNatsOptions = {
  name: string;
  /** Sign-in and TLS; default: from the environment (NATS_CREDS, NATS_TOKEN, NATS_TLS_CA, …). */
  auth?: NatsAuthSettings;
} & Partial<NodeConnectionOptions>;

/** Connecting to NATS failed; the message says which setting to look at. */
export class NatsConnectError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NatsConnectError";
  }
}

/**
 * Sign-in and TLS from the environment as it is now (not env()'s parse-once cache: scripts and
 * tests connect before they know every variable, and connects are rare enough to parse each time).
 */
function authFromEnvironment(): NatsAuthSettings {
  return natsAuthSettingsFromEnv(parseEnv(process.env));
}

/**
 * The one place that opens NATS connections: everything that connects (web app, worker, health
 * check, bench) comes through here, so sign-in and TLS settings apply everywhere alike.
 */
async function openNats(url: string, settings: NatsAuthSettings, options: Partial<NodeConnectionOptions>): Promise<NatsConnection> {
  const auth = natsAuthOptions(settings);
  try {
    return await connect({ servers: natsServers(url), ...auth, ...options });
  } catch (error) {
    throw new NatsConnectError(explainNatsConnectError(error, url, settings), { cause: error });
  }
}

/**
 * A connection meant to live as long as the process. It reconnects forever: a NATS restart or
 * upgrade is an outage to wait out, not a reason for the runtime to give up and need a restart
 * itself. The first connect still fails fast, so a wrong URL surfaces as an error at start.
 */
export function connectNats(url: string, { auth, ...options }: ConnectNatsOptions): Promise<NatsConnection> {
  return openNats(url, auth ?? authFromEnvironment(), {
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    reconnectJitter: 500,
    // The default (2 min between pings) would take minutes to notice a server that vanished
    // without closing the socket; ~30s is plenty for a local or LAN server.
    pingInterval: 10_000,
    maxPingOut: 3,
    timeout: 5_000,
    // Otherwise every request/publish builds an Error just to keep a stack trace for a possible
    // timeout: measurable CPU and GC at thousands of publishes per second.
    noAsyncTraces: true,
    ...options,
  });
}

export interface NatsHealth {
  /** Reachable and JetStream usable: what Syncline needs. */
  ok: boolean;
  /** nats-server version. */
  server?: string;
  jetstream: boolean;
  error?: string;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error && !err.message.includes(err.cause.message) ? ` (${err.cause.message})` : "";
  return `${err.message}${cause}`;
}

/**
 * Whether an open connection can be used right now. A reconnecting connection is "not ok": its
 * requests would only time out.
 */
export async function natsStatus(nc: NatsConnection, timeoutMs = 2000): Promise<NatsHealth> {
  // Read the version last: after a reconnect it is the version of the server we now talk to.
  const version = () => (nc.info?.version ? { server: nc.info.version } : {});
  if (nc.isClosed()) return { ok: false, jetstream: false, ...version(), error: "NATS connection is closed" };
  const deadline = Date.now() + timeoutMs;
  try {
    await withDeadline(
      nc.flush(),
      timeoutMs,
      `NATS did not answer within ${timeoutMs} ms (server down or the client is reconnecting)`,
    );
  } catch (err) {
    return { ok: false, jetstream: false, ...version(), error: describe(err) };
  }
  const remaining = Math.max(deadline - Date.now(), 100);
  try {
    // jetstreamManager() asks the server for the account's JetStream info, which fails unless
    // JetStream is enabled for this account: exactly the check we want.
    await withDeadline(
      jetstreamManager(nc, { timeout: remaining }),
      remaining,
      `JetStream did not answer within ${timeoutMs} ms`,
    );
  } catch (err) {
    const notEnabled = isJetStreamUnavailable(err);
    const error = notEnabled ? "JetStream is not enabled on this NATS server (start nats-server with -js)" : describe(err);
    return { ok: false, jetstream: false, ...version(), error };
  }
  return { ok: true, jetstream: true, ...version() };
}

/** Connects once, reports, disconnects. For health checks and start-up diagnostics. */
export async function checkNats(url: string, timeoutMs = 2000, auth?: NatsAuthSettings): Promise<NatsHealth> {
  const deadline = Date.now() + timeoutMs;
  let nc: NatsConnection;
  try {
    nc = await openNats(url, auth ?? authFromEnvironment(), {
      name: "syncline-health-check",
      reconnect: false,
      timeout: timeoutMs,
    });
  } catch (err) {
    // openNats already words a refused or failed sign-in for the user; a timeout may hide in its cause.
    const timedOut = isNatsTimeout(err) || (err instanceof Error && isNatsTimeout(err.cause));
    const error = timedOut ? `cannot connect to NATS at ${redactUrl(url)}: no answer within ${timeoutMs} ms` : describe(err);
    return { ok: false, jetstream: false, error };
  }
  try {
    return await natsStatus(nc, Math.max(deadline - Date.now(), 250));
  } finally {
    await nc.close().catch(() => {});
  }
}

// The web app's one connection per process. On globalThis because Next dev re-evaluates modules
// on every edit: a module-level variable would open (and leak) a new connection each time.
type Shared = { connecting?: Promise<NatsConnection>; resolved?: ResolvedNats; nc?: NatsConnection };
const SHARED = Symbol.for("syncline.nats.shared");
function shared(): Shared {
  const g = globalThis as typeof globalThis & { [SHARED]?: Shared };
  g[SHARED] ??= {};
  return g[SHARED];
}

/**
 * The process-wide NATS connection, from env().NATS_URL (or the default/auto-started server).
 * A failed attempt is not cached, so the next call tries again once NATS is there.
 */
export function sharedNats(): Promise<NatsConnection> {
  const state = shared();
  state.connecting ??= (async () => {
    const e = env();
    state.resolved ??= await resolveNatsUrl({
      natsUrl: e.NATS_URL,
      dataDir: e.DATA_DIR,
      log: (message) => console.info(`[syncline] ${message}`),
    });
    const nc = await connectNats(state.resolved.url, { name: `${e.SYNCLINE_PREFIX}-web` });
    state.nc = nc;
    // Reconnects never close it; only close()/drain() or a fatal auth error do. Then start over.
    void nc.closed().then(() => {
      if (state.nc === nc) {
        state.nc = undefined;
        state.connecting = undefined;
      }
    });
    return nc;
  })().catch((err: unknown) => {
    state.connecting = undefined;
    throw err;
  });
  return state.connecting;
}

/** Health of the shared connection; never throws, so GET /api/health can always answer. */
export async function sharedNatsStatus(timeoutMs = 2000): Promise<NatsHealth> {
  try {
    const nc = await withDeadline(sharedNats(), timeoutMs, `no NATS connection within ${timeoutMs} ms`);
    return await natsStatus(nc, timeoutMs);
  } catch (err) {
    return { ok: false, jetstream: false, error: describe(err) };
  }
}

/** Drains the shared connection and stops a server it started (graceful shutdown, tests). */
export async function closeSharedNats(): Promise<void> {
  const state = shared();
  const nc = state.nc ?? (await state.connecting?.catch(() => undefined));
  const resolved = state.resolved;
  state.nc = undefined;
  state.connecting = undefined;
  state.resolved = undefined;
  if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close());
  await resolved?.stop();
}
