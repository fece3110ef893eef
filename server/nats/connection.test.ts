import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkNats,
  closeSharedNats,
  connectNats,
  natsServers,
  natsStatus,
  resolveNatsUrl,
  sharedNats,
  sharedNatsStatus,
  type ResolvedNats,
} from "./connection";
import { startNatsServer, type NatsServerProcess } from "./nats-server-process";
import { findFreePort, probeNatsPort } from "./probe";

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "syncline-nats-test-"));
  tempDirs.push(dir);
  return dir;
}
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const prefix = () => `t${randomBytes(4).toString("hex")}`;

let server: NatsServerProcess;
beforeAll(async () => {
  server = await startNatsServer({ storeDir: tempDir() });
  cleanups.push(() => server.stop());
});

describe("checkNats", () => {
  it("reports ok, the server version and JetStream", async () => {
    const health = await checkNats(server.url, 2000);
    expect(health).toEqual({ ok: true, jetstream: true, server: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it("reports not ok with a clear error once the server is gone", async () => {
    const other = await startNatsServer({ storeDir: tempDir() });
    await other.stop();
    const health = await checkNats(other.url, 1000);
    expect(health.ok).toBe(false);
    expect(health.jetstream).toBe(false);
    expect(health.error).toContain(`cannot connect to NATS at ${other.url}`);
    expect(health.error).toMatch(/refused/i);
  }, 30_000);

  it("reports a server without JetStream as not ok", async () => {
    const port = await findFreePort();
    const child = spawn("/usr/sbin/nats-server", ["-a", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    cleanups.push(async () => {
      child.kill("SIGKILL");
      await exited;
    });
    while ((await probeNatsPort("127.0.0.1", port, 200)).kind !== "nats") await new Promise((r) => setTimeout(r, 20));
    const health = await checkNats(`nats://127.0.0.1:${port}`, 2000);
    expect(health.ok).toBe(false);
    expect(health.jetstream).toBe(false);
    expect(health.server).toMatch(/^\d+\.\d+\.\d+/); // the server's version, from its INFO
    expect(health.error).toMatch(/JetStream is not enabled/);
  }, 30_000);

  it("answers for the shared server on 127.0.0.1:4222 when it runs (read-only)", async (ctx) => {
    if ((await probeNatsPort("127.0.0.1", 4222, 500)).kind !== "nats") ctx.skip();
    const health = await checkNats("nats://127.0.0.1:4222", 2000);
    expect(health.ok).toBe(true);
  });
});

describe("resolveNatsUrl", () => {
  it("returns NATS_URL unchanged when set, without probing or starting anything", async () => {
    const dataDir = tempDir();
    const resolved = await resolveNatsUrl({ natsUrl: "nats://example.invalid:4999", dataDir });
    expect(resolved.url).toBe("nats://example.invalid:4999");
    expect(resolved.source).toBe("env");
    expect(resolved.server).toBeUndefined();
    await resolved.stop();
    expect(existsSync(path.join(dataDir, "nats"))).toBe(false);
  });

  it("uses a NATS server that already answers on the default address", async () => {
    const resolved = await resolveNatsUrl({ dataDir: tempDir(), defaultPort: server.port });
    expect(resolved).toMatchObject({ url: server.url, source: "existing" });
    expect(resolved.server).toBeUndefined();
  });

  it("starts a JetStream server with its store under <dataDir>/nats when nothing answers", async () => {
    const dataDir = tempDir();
    const port = await findFreePort();
    const resolved = await resolveNatsUrl({ dataDir, defaultPort: port });
    cleanups.push(() => resolved.stop());
    expect(resolved.source).toBe("started");
    expect(resolved.url).toBe(`nats://127.0.0.1:${port}`);
    expect(resolved.server?.storeDir).toBe(path.resolve(dataDir, "nats"));
    expect(await checkNats(resolved.url)).toMatchObject({ ok: true, jetstream: true });
    expect(existsSync(path.join(dataDir, "nats", "jetstream"))).toBe(true);

    // A second resolve (another process, or a restart of the app) finds it instead of starting one.
    const again = await resolveNatsUrl({ dataDir, defaultPort: port });
    expect(again.source).toBe("existing");

    await resolved.stop();
    expect((await probeNatsPort("127.0.0.1", port)).kind).toBe("closed");
  }, 30_000);

  it("falls back to a free port when the default port is held by something that is not NATS", async () => {
    const sockets = new Set<net.Socket>();
    const impostor = net.createServer((socket) => {
      sockets.add(socket);
      socket.end("HTTP/1.1 400 Bad Request\r\n\r\n");
    });
    await new Promise<void>((resolve) => impostor.listen({ host: "127.0.0.1", port: 0 }, resolve));
    const port = (impostor.address() as net.AddressInfo).port;
    let resolved: ResolvedNats | undefined;
    try {
      resolved = await resolveNatsUrl({ dataDir: tempDir(), defaultPort: port, probeTimeoutMs: 500 });
      expect(resolved.source).toBe("started");
      expect(resolved.server?.port).not.toBe(port);
      expect((await checkNats(resolved.url)).ok).toBe(true);
    } finally {
      await resolved?.stop();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => impostor.close(resolve));
    }
  }, 30_000);

  it("uses the server already running on its store (e.g. on a fallback port) instead of a second one", async () => {
    const dataDir = tempDir();
    const running = await startNatsServer({ storeDir: path.join(dataDir, "nats") });
    cleanups.push(() => running.stop());
    const resolved = await resolveNatsUrl({ dataDir, defaultPort: await findFreePort() });
    expect(resolved).toMatchObject({ source: "existing", url: running.url });
    await running.stop();
  }, 30_000);

  it("two concurrent resolves on one data dir start exactly one server", async () => {
    const dataDir = tempDir();
    const port = await findFreePort();
    const results = await Promise.all([
      resolveNatsUrl({ dataDir, defaultPort: port }),
      resolveNatsUrl({ dataDir, defaultPort: port }),
    ]);
    for (const r of results) cleanups.push(() => r.stop());
    expect(results.map((r) => r.source).sort()).toEqual(["existing", "started"]);
    expect(results[0]?.url).toBe(results[1]?.url);
    for (const r of results) await r.stop();
  }, 30_000);

  it("explains how to get NATS when no binary is available", async () => {
    const port = await findFreePort();
    const err: unknown = await resolveNatsUrl({ dataDir: tempDir(), defaultPort: port, binary: "/nonexistent/nats-server" }).catch(
      (e: unknown) => e,
    );
    if (!(err instanceof Error)) throw new Error("expected resolveNatsUrl to fail");
    expect(err.message).toContain(`no NATS server answers on 127.0.0.1:${port}`);
    expect(err.message).toContain("apt-get install nats-server");
    expect(err.message).toContain("docker run -p 4222:4222 nats -js");
  });
});

describe("connectNats", () => {
  it("splits comma-separated server lists", () => {
    expect(natsServers("nats://a:1, nats://b:2,")).toEqual(["nats://a:1", "nats://b:2"]);
  });

  it("rides out a server crash and restart, and natsStatus follows along", async () => {
    const s = await startNatsServer({ storeDir: tempDir() });
    cleanups.push(() => s.stop());
    const nc = await connectNats(s.url, { name: "syncline-test" });
    cleanups.push(() => nc.close());
    const seen: string[] = [];
    void (async () => {
      for await (const status of nc.status()) seen.push(status.type);
    })();

    const jsm = await jetstreamManager(nc);
    const name = `${prefix()}_reconnect`;
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    const js = jetstream(nc);
    await js.publish(`${name}.a`, "before", { msgID: "before" });
    expect(await natsStatus(nc)).toMatchObject({ ok: true, jetstream: true });

    await s.kill();
    const down = await natsStatus(nc, 500);
    expect(down.ok).toBe(false);
    expect(down.error).toEqual(expect.any(String));
    expect(down.error).not.toBe("");

    await s.restart();
    // reconnectTimeWait is 1s (+ jitter): the client is back within a few seconds.
    const deadline = Date.now() + 10_000;
    while (!(await natsStatus(nc, 500)).ok && Date.now() < deadline);
    expect(nc.isClosed()).toBe(false);
    expect(seen).toContain("disconnect");
    expect(seen).toContain("reconnect");
    const ack = await js.publish(`${name}.a`, "after", { msgID: "after" });
    expect(ack.seq).toBe(2);
    expect((await js.publish(`${name}.a`, "before", { msgID: "before" })).duplicate).toBe(true);
    await jsm.streams.delete(name);
  }, 30_000);
});

describe("sharedNats", () => {
  let nc: NatsConnection;
  beforeAll(() => {
    // env() parses process.env once per module graph; nothing in this file has called it yet.
    process.env.NATS_URL = server.url;
    cleanups.push(() => closeSharedNats());
  });

  it("returns one connection per process, cached on globalThis", async () => {
    const [a, b] = await Promise.all([sharedNats(), sharedNats()]);
    expect(a).toBe(b);
    nc = a;
    expect(nc.getServer()).toContain(String(server.port));
    expect(await sharedNatsStatus()).toMatchObject({ ok: true, jetstream: true });
    expect(Object.getOwnPropertySymbols(globalThis).map(String)).toContain("Symbol(syncline.nats.shared)");
  });

  it("opens a new connection after the old one was closed", async () => {
    await nc.close();
    await nc.closed();
    const fresh = await sharedNats();
    expect(fresh).not.toBe(nc);
    expect(fresh.isClosed()).toBe(false);
  });

  it("closeSharedNats drains it", async () => {
    const current = await sharedNats();
    await closeSharedNats();
    expect(current.isClosed()).toBe(true);
  });
});
