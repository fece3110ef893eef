// Profiling aid (docs/decisions/0027): the ingest fast path alone, built from the route module like
// instrumentation.ts does, on node:http with its own database, measured with the bench's client
// beside the bare baseline, and the CPU time of both servers per event. No Next build needed, so a
// change to the ingest code can be measured in seconds:
//   node --conditions=react-server --import tsx bench/profile-fast-path.ts [--cpu-prof]
import http from "node:http";
import { randomBytes } from "node:crypto";
import { Session } from "node:inspector";
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createTestDatabase } from "../server/db/test-database";
import { createApiKey } from "../server/auth/api-keys";
import { measureBareIngest, measureIngest } from "./ingest";
import { cpuMsOf } from "./process-memory";

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const prefix = `bench_fp_${randomBytes(4).toString("hex")}`;
const singleRequests = Number(process.env.PROFILE_SINGLE ?? 10_000);

async function main() {
  const database = await createTestDatabase();
  Object.assign(process.env, { DATABASE_URL: database.url, NATS_URL: natsUrl, SYNCLINE_PREFIX: prefix, SYNCLINE_PARTITIONS: "16" });
  const { key } = await createApiKey(database.prisma, "profile", "events:write");
  const route = await import("../app/api/events/route");
  const { createIngestFastPath } = await import("../server/http-api/ingest-fast-path");
  const server = http.createServer(createIngestFastPath({ routes: { GET: route.GET, POST: route.POST, PUT: route.PUT, PATCH: route.PATCH, DELETE: route.DELETE } }));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const opts = { singleRequests, batches: 50_000, maxSeconds: 20 };
    const bare = await measureBareIngest(natsUrl, 0, `${prefix}_bare`, { ...opts, onPhase: () => {} });
    // The client runs in this process: the fast path's CPU is this process's minus the client's,
    // so the client is measured alone against the bare server first (bench/ingest.ts reports it).
    const session = process.argv.includes("--cpu-prof") ? new Session() : undefined;
    session?.connect();
    session?.post("Profiler.enable");
    session?.post("Profiler.start");
    const cpu: Record<string, number> = {};
    const usage = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    const app = await measureIngest(base, key, { ...opts, onPhase: (p) => (cpu[p] = usage()) });
    session?.post("Profiler.stop", (error, result) => {
      if (!error) writeFileSync("/tmp/fast-path.cpuprofile", JSON.stringify(result.profile));
    });
    console.log(`bare:      single ${bare.singleEventsPerSec}/s p50 ${bare.singleP50Ms} ms, batched ${bare.batchedEventsPerSec}/s, server CPU/event single ${bare.serverCpuMsPerEvent?.single} ms batched ${bare.serverCpuMsPerEvent?.batched} ms`);
    console.log(`fast path: single ${app.singleEventsPerSec}/s p50 ${app.singleP50Ms} ms, batched ${app.batchedEventsPerSec}/s, errors ${app.errors}; this process (server + client) CPU/event single ${((cpu.batched! - cpu.single!) / app.singleSent).toFixed(3)} ms batched ${((cpu.done! - cpu.batched!) / app.batchedSent).toFixed(3)} ms`);
    console.log(`ratio single ${(app.singleEventsPerSec / bare.singleEventsPerSec).toFixed(2)} × bare, batched ${(app.batchedEventsPerSec / bare.batchedEventsPerSec).toFixed(2)} × bare`);
  } finally {
    server.closeAllConnections();
    server.close();
    const { closeSharedNats, connectNats } = await import("../server/nats/connection");
    const { jetstreamManager } = await import("@nats-io/jetstream");
    const nc = await connectNats(natsUrl, { name: "profile-cleanup" });
    await (await jetstreamManager(nc)).streams.delete(`${prefix}_events`).catch(() => {});
    await nc.close();
    await closeSharedNats();
    const { db } = await import("../server/db/client");
    await db().$disconnect();
    await database.drop();
  }
}

main().then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });
