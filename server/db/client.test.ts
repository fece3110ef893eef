import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { PrismaClient } from "./generated/client";
import { createTestDatabase, type TestDatabase } from "./test-database";

const globalForDb = globalThis as typeof globalThis & { __synclinePrisma?: PrismaClient };
const originalUrl = process.env.DATABASE_URL;

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});

afterEach(async () => {
  await globalForDb.__synclinePrisma?.$disconnect();
  delete globalForDb.__synclinePrisma;
  if (originalUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = originalUrl;
  vi.resetModules();
});

afterAll(async () => {
  await database.drop();
});

describe("db()", () => {
  it("is one client per process, surviving a re-evaluation of the module (Next dev reloads)", async () => {
    process.env.DATABASE_URL = database.url;
    const first = await import("./client");
    const client = first.db();
    expect(first.db()).toBe(client);
    vi.resetModules();
    const reloaded = await import("./client");
    expect(reloaded.db()).toBe(client);

    const flow = await client.flow.create({ data: { name: "Hello", draft: { nodes: [], edges: [] } } });
    expect(await reloaded.db().flow.count({ where: { id: flow.id } })).toBe(1);
  });

  it("explains a missing DATABASE_URL", async () => {
    delete process.env.DATABASE_URL;
    const { db } = await import("./client");
    expect(() => db()).toThrow(/DATABASE_URL is not set/);
  });
});

describe("createPrismaClient", () => {
  it("connects to the given database", async () => {
    const { createPrismaClient } = await import("./client");
    const prisma = createPrismaClient(database.url, { maxConnections: 2 });
    try {
      expect(await prisma.apiKey.count()).toBe(0);
    } finally {
      await prisma.$disconnect();
    }
  });
});

describe("a pooled Postgres URL", () => {
  it("works with the Prisma-engine flags hosted poolers document (?pgbouncer=true&connection_limit=1)", async () => {
    // Neon and Supabase guides still add these for Prisma's old engine; adapter-pg must not choke on them.
    const { createPrismaClient } = await import("./create-client");
    const url = new URL(database.url);
    url.searchParams.set("pgbouncer", "true");
    url.searchParams.set("connection_limit", "1");
    const client = createPrismaClient(url.toString());
    try {
      const flow = await client.flow.create({ data: { name: "Pooled", draft: { nodes: [], edges: [] } } });
      expect(await client.flow.count({ where: { id: flow.id } })).toBe(1);
    } finally {
      await client.$disconnect();
    }
  });
});
