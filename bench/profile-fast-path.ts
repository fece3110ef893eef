// Profiling aid (docs/decisions/0027, 0032): the ingest fast path alone, built from the route module
// like instrumentation.ts does, on node:http with its own database, measured with the bench's
// client beside the bare baseline. No Next build needed, so a change to the ingest code can be
// measured in seconds:
//   node --conditions=react-server --import tsx bench/profile-fast-path.ts [--cpu-prof]
// The fast path runs in a child process of its own, like the bare server, so the CPU time per event
// of both servers is read the same way (/proc/<pid>/stat) and the client's share is in neither.
// --cpu-prof writes the fast path's profile (both phases) to /tmp/fast-path.cpuprofile; --heap-prof a
// sampling allocation profile (what the garbage collector has to collect) to /tmp/fast-path.heapprofile.
// PROFILE_OUT names another file.
import http from "node:http";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Session } from "node:inspector";
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createTestDatabase } from "../server/db/test-database";
import { createApiKey } from "../server/auth/api-keys";
import { listeningPort, measureBareIngest, measureIngest } from "./ingest";
import { cpuMsOf } from "./process-memory";

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const singleRequests = Number(process.env.PROFILE_SINGLE ?? 10_000);

/** The child: the fast path on a free port; prints it, serves until SIGTERM. */
async function serve() {
  const mode = process.argv.includes("--cpu-prof") ? "cpu" : process.argv.includes("--heap-prof") ? "heap" : undefined;
  const session = mode ? new Session() : undefined;
  session?.connect();
  if (mode === "cpu") {
    session?.post("Profiler.enable");
    session?.post("Profiler.start");
  } else if (mode === "heap") {
    session?.post("HeapProfiler.enable");
    // Collected objects too: what the profile is for is what the garbage collector has to collect.
    session?.post("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  const route = await import("../app/api/events/route");
  const { createIngestFastPath } = await import("../server/http-api/ingest-fast-path");
  const server = http.createServer(createIngestFastPath({ routes: { GET: route.GET, POST: route.POST, PUT: route.PUT, PATCH: route.PATCH, DELETE: route.DELETE } }));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  console.log(`fast path listening on ${(server.address() as AddressInfo).port}`);
  process.on("SIGTERM", () => {
    server.closeAllConnections();
    server.close();
    const done = async () => {
      const { closeSharedNats } = await import("../server/nats/connection");
      await closeSharedNats();
      const { db } = await import("../server/db/client");
      await db().$disconnect();
      process.exit(0);
    };
    if (!session) void done();
    else
      session.post(mode === "cpu" ? "Profiler.stop" : "HeapProfiler.stopSampling", (error: Error | null, result?: { profile: unknown }) => {
        if (!error && result) writeFileSync(process.env.PROFILE_OUT ?? `/tmp/fast-path.${mode}profile`, JSON.stringify(result.profile));
        void done();
      });
  });
}

async function main() {
  const prefix = `bench_fp_${randomBytes(4).toString("hex")}`;
  const database = await createTestDatabase();
  const env = { ...process.env, DATABASE_URL: database.url, NATS_URL: natsUrl, SYNCLINE_PREFIX: prefix, SYNCLINE_PARTITIONS: "16" };
  Object.assign(process.env, env);
  const { key } = await createApiKey(database.prisma, "profile", "events:write");
  const args = ["--conditions=react-server", "--import", "tsx", "bench/profile-fast-path.ts", "--serve", ...process.argv.filter((arg) => arg === "--cpu-prof" || arg === "--heap-prof")];
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await listeningPort(child, "the fast path server");
    const opts = { singleRequests, batches: Number(process.env.PROFILE_BATCHED ?? 50_000), maxSeconds: 20 };
    const bare = await measureBareIngest(natsUrl, 0, `${prefix}_bare`, opts);
    const cpu: Record<string, number> = {};
    const app = await measureIngest(`http://127.0.0.1:${port}`, key, { ...opts, onPhase: (p) => (cpu[p] = cpuMsOf(child.pid!)) });
    const perEvent = (ms: number, n: number) => (n > 0 ? (ms / n).toFixed(3) : "-");
    console.log(`bare:      single ${bare.singleEventsPerSec}/s p50 ${bare.singleP50Ms} ms, batched ${bare.batchedEventsPerSec}/s; server CPU/event single ${bare.serverCpuMsPerEvent?.single} ms, batched ${bare.serverCpuMsPerEvent?.batched} ms`);
    console.log(`fast path: single ${app.singleEventsPerSec}/s p50 ${app.singleP50Ms} ms, batched ${app.batchedEventsPerSec}/s, errors ${app.errors}; server CPU/event single ${perEvent(cpu.batched! - cpu.single!, app.singleSent)} ms, batched ${perEvent(cpu.done! - cpu.batched!, app.batchedSent)} ms`);
    console.log(`ratio single ${(app.singleEventsPerSec / bare.singleEventsPerSec).toFixed(2)} × bare, batched ${(app.batchedEventsPerSec / bare.batchedEventsPerSec).toFixed(2)} × bare`);
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    const { closeSharedNats, connectNats } = await import("../server/nats/connection");
    const { jetstreamManager } = await import("@nats-io/jetstream");
    const nc = await connectNats(natsUrl, { name: "profile-cleanup" });
    await (await jetstreamManager(nc)).streams.delete(`${prefix}_events`).catch(() => {});
    await nc.close();
    await closeSharedNats();
    await database.drop();
  }
}

(process.argv.includes("--serve") ? serve() : main().then(() => process.exit(0))).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
