import { mkdir } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { claimPidLock, processAlive, readPidLock, type PidLock } from "@/server/pid-lock/pid-lock-file";

// The embedded database: PGlite (Postgres compiled to WebAssembly, one single-user session) behind
// a Postgres wire-protocol server on 127.0.0.1, so the app talks to it through `pg`/adapter-pg
// exactly as it talks to a real Postgres. See docs/decisions/0002-embedded-pglite.md.
//
// We do not use @electric-sql/pglite-socket's PGLiteSocketServer: it schedules single protocol
// messages from all connections on the one PGlite session and only keeps a connection's messages
// together while a transaction block is open. An extended-protocol query (Parse/Bind/Execute/Sync)
// whose bytes arrive in more than one TCP chunk (any parameter over ~64 KiB) then interleaves with
// another connection's query, and the wrong statement gets bound (reproduced with pglite-socket
// 0.2.17; a known upstream bug, electric-sql/pglite#1046). With its default of one connection, a
// second process (a worker beside the web app) is turned away instead. The server below lets any
// number of connections in and hands the session to one connection at a time, from the first
// message of a request until the request is over and no transaction is open.

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const MAX_STARTUP_LENGTH = 10_000;

/** Message types after which a request is complete: Sync, Query and FunctionCall. */
const REQUEST_ENDS = new Set(["S", "Q", "F"].map((c) => c.charCodeAt(0)));
const TERMINATE = "X".charCodeAt(0);
const SYNC_MESSAGE = new Uint8Array([0x53, 0, 0, 0, 4]);

function queryMessage(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`, "utf8");
  const message = Buffer.alloc(5 + text.length);
  message[0] = "Q".charCodeAt(0);
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}

/**
 * Who may use the PGlite session now. A connection keeps it from its first message until its
 * request is over outside a transaction; the others wait in arrival order.
 */
class SessionTurn {
  owner: Connection | null = null;
  private waiting: { connection: Connection; resolve: (granted: boolean) => void }[] = [];

  acquire(connection: Connection): Promise<boolean> {
    if (this.owner === null || this.owner === connection) {
      this.owner = connection;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiting.push({ connection, resolve }));
  }

  release(connection: Connection): void {
    if (this.owner !== connection) return;
    const next = this.waiting.shift();
    this.owner = next?.connection ?? null;
    next?.resolve(true);
  }

  /** A connection that closed while waiting gives up its place. */
  withdraw(connection: Connection): void {
    for (const entry of this.waiting.filter((w) => w.connection === connection)) entry.resolve(false);
    this.waiting = this.waiting.filter((w) => w.connection !== connection);
  }
}

class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private pumping = false;
  private closed = false;
  /** Resolves once the connection is closed and has given the session back. */
  readonly done: Promise<void>;
  private markDone!: () => void;

  constructor(
    private readonly socket: net.Socket,
    private readonly db: PGlite,
    private readonly turn: SessionTurn,
  ) {
    this.done = new Promise((resolve) => (this.markDone = resolve));
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      void this.pump();
    });
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.turn.withdraw(this);
    this.socket.destroy();
    void this.pump();
  }

  /** Handles buffered messages one at a time, in order; only one pump runs per connection. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        if (this.closed) {
          await this.giveBackSession();
          this.markDone();
          return;
        }
        const message = this.nextMessage();
        if (message === null) return;
        if (message.kind === "terminate") {
          this.close();
          continue;
        }
        if (!(await this.turn.acquire(this))) continue;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(message.bytes, {
              onRawData: (data) => {
                if (!this.closed) this.socket.write(Buffer.from(data));
              },
            }),
          );
        } catch (error) {
          // Query errors are answered inside the protocol; reaching here means PGlite itself failed.
          console.error("[embedded-postgres] closing a connection after an internal error:", error);
          this.close();
          continue;
        }
        if (message.endsRequest && !this.db.isInTransaction()) this.turn.release(this);
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * A client that disconnects mid-request or mid-transaction must not leave the shared session in
   * that state for the next connection.
   */
  private async giveBackSession(): Promise<void> {
    if (this.turn.owner !== this) return;
    try {
      await this.db.runExclusive(async () => {
        const discard = { onRawData: () => {} };
        await this.db.execProtocolRawStream(SYNC_MESSAGE, discard);
        if (this.db.isInTransaction()) await this.db.execProtocolRawStream(queryMessage("ROLLBACK"), discard);
      });
    } catch (error) {
      console.error("[embedded-postgres] could not reset the session after a disconnect:", error);
    } finally {
      this.turn.release(this);
    }
  }

  private nextMessage(): { kind: "message"; bytes: Uint8Array; endsRequest: boolean } | { kind: "terminate" } | null {
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) return null;
        const length = this.buffer.readInt32BE(0);
        const code = this.buffer.readInt32BE(4);
        if (length === 8 && (code === SSL_REQUEST || code === GSSENC_REQUEST)) {
          // No TLS on a loopback-only server; clients then continue in plain text.
          this.buffer = this.buffer.subarray(8);
          this.socket.write("N");
          continue;
        }
        if (code === CANCEL_REQUEST || length < 8 || length > MAX_STARTUP_LENGTH) {
          // Cancelling is not supported (PGlite cannot interrupt a running query).
          return { kind: "terminate" };
        }
        if (this.buffer.length < length) return null;
        const bytes = new Uint8Array(this.buffer.subarray(0, length));
        this.buffer = this.buffer.subarray(length);
        this.started = true;
        return { kind: "message", bytes, endsRequest: true };
      }
      if (this.buffer.length < 5) return null;
      const type = this.buffer[0]!;
      const length = this.buffer.readInt32BE(1);
      if (length < 4) return { kind: "terminate" };
      if (this.buffer.length < 1 + length) return null;
      const bytes = new Uint8Array(this.buffer.subarray(0, 1 + length));
      this.buffer = this.buffer.subarray(1 + length);
      // PGlite is shared by every connection: a client saying goodbye must not end its session.
      if (type === TERMINATE) return { kind: "terminate" };
      return { kind: "message", bytes, endsRequest: REQUEST_ENDS.has(type) };
    }
  }
}

export interface PGliteServer {
  /** postgresql:// URL for `pg`, adapter-pg and the Prisma CLI. */
  url: string;
  port: number;
  /** Stops accepting connections, closes the open ones and waits until they have let go. */
  close(): Promise<void>;
}

/** Serves an open PGlite over the Postgres wire protocol on `host:port` (0: a free port). */
export async function servePGlite(db: PGlite, { host = "127.0.0.1", port = 0 } = {}): Promise<PGliteServer> {
  await db.waitReady;
  const turn = new SessionTurn();
  const connections = new Set<Connection>();
  const server = net.createServer((socket) => {
    const connection = new Connection(socket, db, turn);
    connections.add(connection);
    void connection.done.then(() => connections.delete(connection));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("embedded Postgres: no TCP address");
  const url = `postgresql://postgres@${host}:${address.port}/postgres`;
  return {
    url,
    port: address.port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const open = [...connections];
      for (const connection of open) connection.close();
      await Promise.all(open.map((c) => c.done));
      await closed;
    },
  };
}

export interface EmbeddedPostgres {
  /** postgresql:// URL of the running database: what the launcher puts in DATABASE_URL. */
  url: string;
  port: number;
  /** Closes all connections, then PGlite (flushing it to disk), and frees the data directory. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The app's data directory (DATA_DIR); the database lives in `<dataDir>/pglite`. */
  dataDir: string;
  /** Port on 127.0.0.1; default 0, a free port. */
  port?: number;
}

/** Thrown when another live process already has the database open. */
export class EmbeddedPostgresInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    /** The URL that process serves the database on, when it wrote one. */
    readonly url: string | undefined,
  ) {
    super(
      `The embedded database in ${path.join(dataDir, "pglite")} is already open in process ${pid}` +
        (url ? `, serving ${url}: connect to that URL (DATABASE_URL) instead of starting another.` : ".") +
        ` If no such process is running, delete ${lockPath(dataDir)}.`,
    );
    this.name = "EmbeddedPostgresInUseError";
  }
}

function lockPath(dataDir: string): string {
  return path.join(dataDir, "pglite.lock");
}

interface LockContents {
  url?: string;
}

/**
 * Two processes writing one PGlite directory corrupt it, and PGlite does not guard against that
 * itself, so the directory is claimed with a lock file naming the owner's pid (and later its URL).
 */
function claimDataDir(dataDir: string): Promise<PidLock<LockContents>> {
  return claimPidLock<LockContents>(lockPath(dataDir), {}, (owner) => {
    if (owner?.pid === process.pid) throw new Error(`The embedded database in ${dataDir} is already open in this process.`);
    if (typeof owner?.pid === "number" && processAlive(owner.pid)) throw new EmbeddedPostgresInUseError(dataDir, owner.pid, owner.url);
    return "stale"; // left behind by a process that died without stopping the database
  });
}

/** The process and URL currently serving the embedded database in `dataDir`, if any. */
export async function runningEmbeddedPostgres(dataDir: string): Promise<{ pid: number; url?: string } | undefined> {
  const owner = readPidLock<LockContents & { pid: number }>(lockPath(dataDir));
  return typeof owner?.pid === "number" && processAlive(owner.pid) ? { pid: owner.pid, url: owner.url } : undefined;
}

/** Opens (creating if needed) the PGlite database under `<dataDir>/pglite` and serves it on 127.0.0.1. */
export async function startEmbeddedPostgres({ dataDir, port = 0 }: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const databaseDir = path.resolve(dataDir, "pglite");
  await mkdir(databaseDir, { recursive: true });
  const lock = await claimDataDir(dataDir);
  let db: PGlite | undefined;
  let server: PGliteServer | undefined;
  try {
    db = await PGlite.create(databaseDir);
    server = await servePGlite(db, { port });
    lock.update({ url: server.url });
  } catch (error) {
    await server?.close().catch(() => {});
    await db?.close().catch(() => {});
    lock.release();
    throw error;
  }
  const openDb = db;
  const openServer = server;
  let stopping: Promise<void> | undefined;
  return {
    url: openServer.url,
    port: openServer.port,
    stop() {
      stopping ??= (async () => {
        try {
          await openServer.close();
          await openDb.close();
        } finally {
          lock.release();
        }
      })();
      return stopping;
    },
  };
}
