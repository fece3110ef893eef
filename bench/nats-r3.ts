// `node --import tsx bench/nats-r3.ts`: raw JetStream publish + consume on a 3-node cluster, R1 next to R3, for
// docs/capacity-plan.md ("A 3-node NATS cluster with R3 streams"). Not part of `npm run bench`: it needs the
// nats-server binary on PATH (or NATS_SERVER_BIN) and starts three servers of its own on 127.0.0.1 (client
// ports 14222–14224, cluster ports 16222–16224), stores in a temporary directory, and stops them at the end.
// All three share this machine's cores and disk, so R3 here costs more than across three machines; the
// ratio is an upper bound on what replication costs the runtime's events stream.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectNats } from "../server/nats/connection";
import { publishAll } from "./runtime";

const bin = process.env.NATS_SERVER_BIN ?? "nats-server";
const messages = Number(process.env.BENCH_R3_MESSAGES ?? 20_000);
const rounds = Number(process.env.BENCH_R3_ROUNDS ?? 3);

async function startCluster(dir: string): Promise<ChildProcess[]> {
  const routes = [0, 1, 2].map((i) => `nats-route://127.0.0.1:${16222 + i}`).join(",");
  const starting = [0, 1, 2].map((i) => {
    const conf = path.join(dir, `n${i}.conf`);
    writeFileSync(conf, `server_name: n${i}\nlisten: 127.0.0.1:${14222 + i}\njetstream { store_dir: "${path.join(dir, `s${i}`)}" }\n` +
      `cluster { name: bench, listen: 127.0.0.1:${16222 + i}, routes: [${routes}] }\n`);
    const server = spawn(bin, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
    return new Promise<ChildProcess>((resolve, reject) => {
      let err = "";
      server.stderr!.on("data", (c: Buffer) => {
        err += c.toString();
        if (err.includes("Server is ready")) resolve(server);
      });
      server.once("exit", (code) => reject(new Error(`nats-server n${i} exited ${code}: ${err.slice(-2000)}`)));
    });
  });
  const settled = await Promise.allSettled(starting);
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) {
    // Stop the ones that did start before giving up.
    for (const s of settled) if (s.status === "fulfilled") s.value.kill("SIGTERM");
    throw failed.reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<ChildProcess>).value);
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), "syncline-r3-"));
  const servers = await startCluster(dir);
  const nc = await connectNats("nats://127.0.0.1:14222", { name: "syncline-bench-r3" });
  try {
    const js = jetstream(nc);
    // A cluster elects its JetStream meta leader after the routes are up; until then JetStream calls time out.
    let jsm: Awaited<ReturnType<typeof jetstreamManager>> | undefined;
    for (let i = 0; !jsm; i++) {
      try { jsm = await jetstreamManager(nc, { timeout: 1_000 }); await jsm.getAccountInfo(); }
      catch (error) { jsm = undefined; if (i > 60) throw error; await new Promise((r) => setTimeout(r, 250)); }
    }
    const payload = JSON.stringify({ specversion: "1.0", source: "bench", type: "stock.changed", subject: "SKU-1", data: { sku: "SKU-1", quantity: 1 } });
    const manager = jsm;
    const measure = async (replicas: number, round: number) => {
      const jsm = manager;
      const name = `r${replicas}_${round}`;
      for (let i = 0; ; i++) {
        try { await jsm.streams.add({ name, subjects: [`${name}.>`], num_replicas: replicas, duplicate_window: 120_000_000_000 }); break; }
        catch (error) { if (i > 100) throw error; await new Promise((r) => setTimeout(r, 100)); }
      }
      try {
        await jsm.consumers.add(name, { durable_name: "c", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_ack_pending: 20_000 });
        const consumer = await js.consumers.get(name, "c");
        const items = Array.from({ length: messages }, (_, i) => ({ subject: `${name}.${i % 16}`, body: payload, id: `m-${i}` }));
        let t = performance.now();
        await publishAll(js, items);
        const publishPerSec = Math.round(messages / ((performance.now() - t) / 1000));
        t = performance.now();
        const iter = await consumer.consume({ max_messages: 2_000 });
        let seen = 0;
        for await (const m of iter) { m.ack(); if (++seen >= messages) break; }
        await iter.close();
        const consumePerSec = Math.round(messages / ((performance.now() - t) / 1000));
        const bytes = (await jsm.streams.info(name)).state.bytes;
        return { replicas, publishPerSec, consumePerSec, bytesPerMessage: Math.round(bytes / messages) };
      } finally {
        await jsm.streams.delete(name).catch(() => undefined);
      }
    };
    const results: Awaited<ReturnType<typeof measure>>[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate so that a change in the machine's load falls on both.
      for (const replicas of round % 2 === 0 ? [1, 3] : [3, 1]) results.push(await measure(replicas, round));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const summary = [1, 3].map((r) => {
      const mine = results.filter((x) => x.replicas === r);
      return { replicas: r, publishPerSec: median(mine.map((x) => x.publishPerSec)), consumePerSec: median(mine.map((x) => x.consumePerSec)), bytesPerMessage: mine[0]!.bytesPerMessage };
    });
    console.log(JSON.stringify({ messages, rounds, results, summary }, null, 2));
    const [r1, r3] = summary;
    console.log(`R3 / R1 on one machine: publish ${(r3!.publishPerSec / r1!.publishPerSec).toFixed(2)} ×, consume ${(r3!.consumePerSec / r1!.consumePerSec).toFixed(2)} ×`);
  } finally {
    await nc.close();
    await Promise.all(servers.map((s) => new Promise((r) => { s.once("exit", r); s.kill("SIGTERM"); })));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });
