// `node --conditions=react-server --import tsx bench/prisma-queries.ts`: what a Prisma query costs the
// process that makes it (CPU and wall time per query, RSS after), for three shapes the pages and the API
// make, against a fresh database on the real Postgres (server/db/test-database.ts, on TEST_DATABASE_URL's server). Not part of
// `npm run bench`: it is the check behind docs/decisions/0044-prisma-small-query-compiler.md — run it
// once per `compilerBuild` (prisma/schema.prisma, then `npm run db:generate`) and compare.
import { readFileSync } from "node:fs";
import { createTestDatabase } from "../server/db/test-database";

const queries = Number(process.env.BENCH_PRISMA_QUERIES ?? 3_000);

const { prisma: db, drop } = await createTestDatabase();
try {
  const shapes: [string, () => Promise<unknown>][] = [
    ["flow.findMany, select, order, take", () => db.flow.findMany({ take: 20, orderBy: { updatedAt: "desc" }, select: { id: true, name: true, enabled: true, updatedAt: true } })],
    ["run.findMany, where, order, take", () => db.run.findMany({ where: { flowId: "f1", status: "failed" }, orderBy: { startedAt: "desc" }, take: 50 })],
    ["flow.count, where", () => db.flow.count({ where: { enabled: true } })],
  ];
  for (const [shape, query] of shapes) {
    for (let i = 0; i < queries / 10; i++) await query();
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < queries; i++) await query();
    const used = process.cpuUsage(cpu);
    console.log(`${shape}: ${Math.round((used.user + used.system) / queries)} µs CPU, ${Math.round(((performance.now() - started) * 1000) / queries)} µs wall per query`);
  }
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0);
  console.log(`process RSS after: ${Math.round(rssKb / 1024)} MB`);
} finally {
  // Disconnects the client and drops the database.
  await drop();
}
