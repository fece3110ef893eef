import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  findNatsServerBinary,
  NatsPortInUseError,
  NatsServerNotFoundError,
  NatsStoreInUseError,
  startNatsServer,
  type NatsServerProcess,
} from "./nats-server-process";
import { findFreePort, probeNatsPort } from "./probe";

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "syncline-nats-test-"));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const prefix = () => `t${randomBytes(4).toString("hex")}`;

describe("startNatsServer", () => {
  let server: NatsServerProcess;
  let nc: NatsConnection | undefined;

  beforeAll(async () => {
    server = await startNatsServer({ storeDir: tempDir() });
  });
  afterEach(async () => {
    await nc?.close();
    nc = undefined;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("runs a JetStream server on a free port", async () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.port).not.toBe(4222);
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    expect(server.running).toBe(true);
    expect(server.pid).toBeTypeOf("number");
    const probe = await probeNatsPort("127.0.0.1", server.port);
    expect(probe.kind).toBe("nats");
    if (probe.kind === "nats") expect(probe.info.jetstream).toBe(true);
  });

  it("deduplicates publishes by msgID", async () => {
    nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    const name = `${prefix()}_dedup`;
    await jsm.streams.add({ name, subjects: [`${name}.>`], duplicate_window: 60_000_000_000 });
    const js = jetstream(nc);
    const first = await js.publish(`${name}.a`, "one", { msgID: "m-1" });
    const second = await js.publish(`${name}.a`, "one again", { msgID: "m-1" });
    const third = await js.publish(`${name}.a`, "two", { msgID: "m-2" });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);
    expect(third.seq).toBe(first.seq + 1);
    expect((await jsm.streams.info(name)).state.messages).toBe(2);
    await jsm.streams.delete(name);
  });

  it("keeps stream data across kill (SIGKILL) and restart on the same port", async () => {
    nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    const name = `${prefix()}_durable`;
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    const js = jetstream(nc);
    for (let i = 0; i < 10; i++) await js.publish(`${name}.x`, `m${i}`, { msgID: `id-${i}` });
    await nc.close();
    nc = undefined;

    const { port } = server;
    const oldPid = server.pid;
    await server.kill();
    expect(server.running).toBe(false);
    expect(server.pid).toBeUndefined();
    expect((await probeNatsPort("127.0.0.1", port)).kind).toBe("closed");

    await server.restart();
    expect(server.port).toBe(port);
    expect(server.running).toBe(true);
    expect(server.pid).not.toBe(oldPid);

    nc = await connect({ servers: server.url });
    const jsm2 = await jetstreamManager(nc);
    const info = await jsm2.streams.info(name);
    expect(info.state.messages).toBe(10);
    const msg = await jsm2.streams.getMessage(name, { seq: 10 });
    expect(msg?.string()).toBe("m9");
    await jsm2.streams.delete(name);
  }, 30_000);

  it("restarts a running server gracefully (stop + start)", async () => {
    const oldPid = server.pid;
    await server.restart();
    expect(server.running).toBe(true);
    expect(server.pid).not.toBe(oldPid);
    expect((await probeNatsPort("127.0.0.1", server.port)).kind).toBe("nats");
  }, 30_000);

  it("stop() waits for the process to exit and is idempotent", async () => {
    const other = await startNatsServer({ storeDir: tempDir() });
    await other.stop();
    expect(other.running).toBe(false);
    expect((await probeNatsPort("127.0.0.1", other.port)).kind).toBe("closed");
    await other.stop();
    await other.kill();
  }, 30_000);
});

describe("startNatsServer errors", () => {
  it("fails at once with NatsPortInUseError when a given port is taken", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: "127.0.0.1", port: 0 }, resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startNatsServer({ port, storeDir: tempDir() })).rejects.toBeInstanceOf(NatsPortInUseError);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("starts on a given free port", async () => {
    const port = await findFreePort();
    const s = await startNatsServer({ port, storeDir: tempDir() });
    try {
      expect(s.port).toBe(port);
      expect(s.url).toBe(`nats://127.0.0.1:${port}`);
    } finally {
      await s.stop();
    }
  }, 30_000);

  it("explains how to install nats-server when the binary is missing", async () => {
    const err = await startNatsServer({ storeDir: tempDir(), binary: "/nonexistent/nats-server" }).catch((e) => e);
    expect(err).toBeInstanceOf(NatsServerNotFoundError);
    expect(err.message).toContain("/nonexistent/nats-server");
    expect(err.message).toContain("apt-get install nats-server");
    expect(err.message).toContain("brew install nats-server");
    expect(err.message).toContain("docker run -p 4222:4222 nats -js");
    expect(err.message).toContain("NATS_URL");
  });

  it("looks at NATS_SERVER_BINARY, then PATH, then /usr/sbin/nats-server", () => {
    const saved = { bin: process.env.NATS_SERVER_BINARY, path: process.env.PATH };
    try {
      process.env.NATS_SERVER_BINARY = "/nonexistent/from-env";
      expect(() => findNatsServerBinary()).toThrow(/NATS_SERVER_BINARY="\/nonexistent\/from-env"/);
      delete process.env.NATS_SERVER_BINARY;
      process.env.PATH = tempDir();
      // Nothing on PATH: the Debian location is the last resort (present on this machine).
      expect(findNatsServerBinary()).toBe("/usr/sbin/nats-server");
    } finally {
      if (saved.bin === undefined) delete process.env.NATS_SERVER_BINARY;
      else process.env.NATS_SERVER_BINARY = saved.bin;
      process.env.PATH = saved.path;
    }
  });
});

describe("store lock", () => {
  it("refuses a second server on a store that a running server uses, naming its port", async () => {
    const storeDir = tempDir();
    const first = await startNatsServer({ storeDir });
    try {
      const err = await startNatsServer({ storeDir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NatsStoreInUseError);
      expect((err as NatsStoreInUseError).port).toBe(first.port);
      expect((err as NatsStoreInUseError).holderPid).toBe(first.pid);
    } finally {
      await first.stop();
    }
    expect(existsSync(path.join(storeDir, "syncline-nats-server.lock"))).toBe(false);
    // Released on stop: the store can be used again.
    const second = await startNatsServer({ storeDir });
    await second.stop();
  }, 30_000);

  it("releases the lock when the server is killed, so restart() can take it again", async () => {
    const storeDir = tempDir();
    const s = await startNatsServer({ storeDir });
    await s.kill();
    expect(existsSync(path.join(storeDir, "syncline-nats-server.lock"))).toBe(false);
    await s.restart();
    expect(existsSync(path.join(storeDir, "syncline-nats-server.lock"))).toBe(true);
    await s.stop();
  }, 30_000);

  it("takes over a stale lock left by processes that are gone", async () => {
    const storeDir = tempDir();
    // Pids this high do not exist on Linux (pid_max is at most 2^22).
    writeFileSync(
      path.join(storeDir, "syncline-nats-server.lock"),
      JSON.stringify({ token: "x", owner: 99_999_999, server: 99_999_998, port: 1 }),
    );
    const s = await startNatsServer({ storeDir });
    expect(s.running).toBe(true);
    await s.stop();
  }, 30_000);
});
