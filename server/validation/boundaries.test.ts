import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { createPrismaClient } from "@/server/db/create-client";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { callerFor } from "@/server/testing/trpc-caller";
import { discoverApiRoutes, routeRequester, type ApiRoute } from "@/server/testing/route-harness";

// Bad input at every boundary is a 400 that names the field — never a 500, never stored: NUL and
// unpaired surrogates (Postgres cannot store them), hostile nesting, oversize batches, malformed
// URLs. Real route handlers, real Postgres and NATS.

const PREFIX = `test_boundaries_${randomBytes(4).toString("hex")}`;
let database: TestDatabase;
let routes: Map<string, ApiRoute>;
let callRoute: ReturnType<typeof routeRequester>;

beforeAll(async () => {
  database = await createTestDatabase();
  Object.assign(process.env, { DATABASE_URL: database.url, SYNCLINE_PREFIX: PREFIX, SYNCLINE_PARTITIONS: "2", SYNCLINE_MAX_BATCH_EVENTS: "5" });
  callRoute = routeRequester((await createApiKey(database.prisma, "boundaries test")).key);
  routes = new Map((await discoverApiRoutes()).map((route) => [route.pattern, route]));
});
afterAll(async () => {
  const { closeSharedNats } = await import("@/server/nats/connection");
  await closeSharedNats();
  const { db } = await import("@/server/db/client");
  await db().$disconnect();
  await database?.drop();
});

function route(pattern: string): ApiRoute {
  const found = routes.get(pattern);
  if (!found) throw new Error(`no route ${pattern}`);
  return found;
}

const event = (overrides: Record<string, unknown> = {}) => ({
  specversion: "1.0", id: `evt-${randomBytes(6).toString("hex")}`, source: "erp", type: "stock.changed", subject: "SKU-1", data: { sku: "SKU-1", quantity: 1 }, ...overrides,
});

async function expectBadRequest(response: Response, status = 400) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: { message: string; issues?: { path: string; message: string }[] } };
  expect(body.error.message).toEqual(expect.any(String));
  return body.error;
}

describe("HTTP boundaries", () => {
  it("refuses an event whose subject holds U+0000, naming the field; nothing is stored", async () => {
    const error = await expectBadRequest(await callRoute(route("/api/events"), "POST", { body: JSON.stringify(event({ subject: "SKU\u00001" })) }));
    expect(error.issues).toEqual([{ path: "subject", message: "contains a NUL character (U+0000), which cannot be stored" }]);
  });

  it("refuses lone surrogates anywhere in an event, including data", async () => {
    // JSON.stringify writes a lone surrogate as the escape \udc00, which JSON.parse turns back into one.
    const error = await expectBadRequest(await callRoute(route("/api/events"), "POST", { body: JSON.stringify(event({ data: { sku: "SKU-1", quantity: 1, note: "x\uDC00" } })) }));
    expect(error.issues).toEqual([expect.objectContaining({ path: "data.note", message: expect.stringMatching(/unpaired surrogate/) })]);
  });

  it("refuses JSON nested 5,000 deep with a 400, not a stack overflow", async () => {
    const deep = `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`;
    const error = await expectBadRequest(await callRoute(route("/api/flows/import"), "POST", { body: deep }));
    expect(error.issues?.[0]?.message).toBe("is nested more than 64 levels deep");
  });

  it("caps the number of events per batch", async () => {
    const batch = JSON.stringify(Array.from({ length: 6 }, () => event()));
    const error = await expectBadRequest(await callRoute(route("/api/events"), "POST", { body: batch, contentType: "application/cloudevents-batch+json" }), 413);
    expect(error.message).toMatch(/6 events; the limit is 5/);
  });

  it("refuses a flow import with a lone surrogate in a name", async () => {
    const flow = { schemaVersion: 1, name: "Stock \uD83D", nodes: [], edges: [], settings: { orderingPolicy: "hold" } };
    const error = await expectBadRequest(await callRoute(route("/api/flows/import"), "POST", { body: JSON.stringify(flow) }));
    expect(error.issues).toEqual([expect.objectContaining({ path: "name" })]);
  });

  it("refuses NUL and surrogates in queries and route parameters", async () => {
    const query = await expectBadRequest(await callRoute(route("/api/runs"), "GET", { rawQuery: "subject=SKU%00-1" }));
    expect(query.issues).toEqual([{ path: "query.subject", message: expect.stringMatching(/NUL/) }]);
    // (A percent-encoded surrogate, %ED%A0%80, is invalid UTF-8: URL parsing makes it U+FFFD, which is storable.)
    const timeline = await expectBadRequest(await callRoute(route("/api/timeline"), "GET", { rawQuery: "subject=%00" }));
    expect(timeline.issues?.[0]?.path).toBe("query.subject");
    const surrogate = await expectBadRequest(await callRoute(route("/api/dead-letters/[id]"), "GET", { params: { id: "dl\uD800" } }));
    expect(surrogate.issues).toEqual([{ path: "params.id", message: expect.stringMatching(/unpaired surrogate/) }]);
    const param = await expectBadRequest(await callRoute(route("/api/runs/[id]"), "GET", { params: { id: "run\u0000" } }));
    expect(param.issues).toEqual([{ path: "params.id", message: expect.stringMatching(/NUL/) }]);
  });

  it("answers a malformed percent-escape in the path with 400 in the error shape", async () => {
    const error = await expectBadRequest(await callRoute(route("/api/dead-letters/[id]"), "GET", { rawPath: "/api/dead-letters/%E0%A4%A", params: { id: "%E0%A4%A" } }));
    expect(error.issues).toEqual([{ path: "path", message: expect.stringMatching(/not a valid percent-encoded/) }]);
  });
});

describe("unsupported methods", () => {
  it("answer 405 with a body in the error shape and an Allow header, on every route (none takes PUT)", async () => {
    for (const entry of routes.values()) {
      if (entry.pattern.startsWith("/api/trpc")) continue;
      const put = await callRoute(entry, "PUT", { body: "{}" });
      expect(put.status, entry.pattern).toBe(405);
      expect(put.headers.get("allow"), entry.pattern).toMatch(/GET|POST/);
      expect(((await put.json()) as { error: { message: string } }).error.message, entry.pattern).toMatch(/^This endpoint accepts (GET|POST)/);
    }
  });
});

describe("tRPC boundaries", () => {
  it("refuses NUL and surrogates in any procedure's input, with field errors", async () => {
    const caller = callerFor(database.prisma);
    const error = await caller.flows.create({ name: "a\u0000b" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    const deep = await caller.flows.rename({ id: "x", name: JSON.parse(`${"[".repeat(100)}${"]".repeat(100)}`) }).catch((e: unknown) => e);
    expect((deep as TRPCError).code).toBe("BAD_REQUEST");
  });

  it("answers an internal error with a generic message and an error id, logging the details under it", async () => {
    const { appRouter } = await import("@/server/api/root");
    const broken = createPrismaClient("postgresql://postgres@127.0.0.1:5432/syncline_no_such_database_for_boundaries");
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const response = await fetchRequestHandler({
        endpoint: "/api/trpc",
        req: new Request("http://localhost/api/trpc/flows.list"),
        router: appRouter,
        // A signed-in owner, so the call reaches the (broken) database.
        createContext: () => ({ db: broken, headers: new Headers(), user: { id: "u-1", email: "owner@example.com", name: "Owner", role: "owner" as const } }),
      });
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).not.toMatch(/prisma|does not exist|SQLSTATE|invocation/i);
      const id = /error id ([0-9a-f-]{36})/.exec(text)?.[1];
      expect(id).toBeDefined();
      expect(logged).toHaveBeenCalledWith(expect.stringContaining(`error id ${id}`), expect.anything());
    } finally {
      logged.mockRestore();
      await broken.$disconnect();
    }
  });
});
