import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { createApiKey, type ApiKeyScope } from "@/server/auth/api-keys";
import { ROLES, roleRank, type Role } from "@/server/auth/roles";
import { signedInCookie } from "@/server/testing/trpc-caller";
import type { RouteHandler } from "@/server/http-api/api-route";

// Every HTTP route under app/api, found on disk (not a hand-kept list): each exported method
// declares its access, refuses anonymous calls (401), weaker roles (403) and API keys without the
// scope (403). The few routes open on purpose are named here and checked for what they give away.

const API_DIR = path.resolve(import.meta.dirname);
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
// cron/drain checks CRON_SECRET and hooks/[path] the trigger's own signature or token (each has its
// own tests for the 401s: server/runtime/cron-authorization.test.ts, server/webhooks/webhook.test.ts;
// sources/[id]/eventbridge and …/eventgrid check the source's own secret: server/webhooks/eventbridge-source.test.ts, eventgrid-source.test.ts).
const OPEN_ON_PURPOSE = ["assets/[...key]", "auth/[...all]", "cron/drain", "health", "hooks/[path]", "openapi.json", "sources/[id]/eventbridge", "sources/[id]/eventgrid", "trpc/[trpc]"];

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return routeFiles(full);
    return entry.name === "route.ts" ? [full] : [];
  });
}
const files = routeFiles(API_DIR).map((file) => path.relative(API_DIR, path.dirname(file)).split(path.sep).join("/")).sort();

function paramsFor(route: string) {
  const params: Record<string, string | string[]> = {};
  for (const segment of route.split("/")) {
    const rest = segment.match(/^\[\.\.\.(.+)\]$/);
    const one = segment.match(/^\[(.+)\]$/);
    if (rest) params[rest[1]!] = ["x"];
    else if (one) params[one[1]!] = "00000000-0000-0000-0000-000000000000";
  }
  return { params: Promise.resolve(params as Record<string, never>) };
}

function request(route: string, method: string, headers: Record<string, string> = {}) {
  const url = `http://localhost:3000/api/${route.replace(/\[\.\.\.[^\]]+\]|\[[^\]]+\]/g, "x")}`;
  const body = method === "GET" || method === "DELETE" ? undefined : "{}";
  return new Request(url, { method, headers: { ...(body ? { "content-type": "application/json" } : {}), ...headers }, body });
}

let database: TestDatabase;
const cookies = new Map<Role, string>();
const keys = new Map<ApiKeyScope, string>();
const handlers: { route: string; method: string; handler: RouteHandler<Record<string, unknown>> }[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
  process.env.NATS_URL ??= "nats://127.0.0.1:4222";
  for (const role of ROLES) cookies.set(role, (await signedInCookie(database.prisma, role)).cookie);
  for (const scope of ["events:write", "read", "full"] as const) keys.set(scope, (await createApiKey(database.prisma, scope, scope)).key);
  for (const route of files) {
    const mod = (await import(path.join(API_DIR, route, "route.ts"))) as Record<string, unknown>;
    for (const method of METHODS) if (typeof mod[method] === "function" && !(mod[method] as { methodNotAllowed?: true }).methodNotAllowed) handlers.push({ route, method, handler: mod[method] as RouteHandler<Record<string, unknown>> });
  }
}, 120_000);
afterAll(async () => {
  const { db } = await import("@/server/db/client");
  const { closeSharedNats } = await import("@/server/nats/connection");
  await closeSharedNats();
  await db().$disconnect();
  await database?.drop();
});

describe("every HTTP route declares who may call it", () => {
  it("finds the routes on disk", () => {
    expect(files).toEqual(expect.arrayContaining(["events", "runs", "dead-letters/[id]", "flows/import", ...OPEN_ON_PURPOSE]));
    expect(handlers.length).toBeGreaterThan(15);
  });

  it("declares access on every method, and only the routes meant to be open are anonymous", () => {
    expect(handlers.filter((h) => h.handler.access === undefined).map((h) => `${h.method} ${h.route}`)).toEqual([]);
    const open = [...new Set(handlers.filter((h) => h.handler.access === "anonymous").map((h) => h.route))].sort();
    expect(open).toEqual(OPEN_ON_PURPOSE);
  });

  it("refuses anonymous callers, weaker roles and API keys without the scope on every other route", async () => {
    const failures: string[] = [];
    for (const { route, method, handler } of handlers) {
      const access = handler.access;
      if (access === "anonymous") continue;
      const name = `${method} /api/${route}`;
      const anonymous = await handler(request(route, method), paramsFor(route));
      if (anonymous.status !== 401) failures.push(`${name} anonymous: ${anonymous.status}`);
      for (const role of ROLES.filter((r) => roleRank(r) < roleRank(access.role))) {
        const response = await handler(request(route, method, { cookie: cookies.get(role)! }), paramsFor(route));
        if (response.status !== 403) failures.push(`${name} as ${role}: ${response.status}`);
      }
      const allowedRole = await handler(request(route, method, { cookie: cookies.get(access.role)! }), paramsFor(route));
      if (allowedRole.status === 401 || allowedRole.status === 403) failures.push(`${name} as ${access.role} was refused: ${allowedRole.status}`);
      for (const scope of (["events:write", "read"] as const).filter((s) => s !== access.scope)) {
        const response = await handler(request(route, method, { authorization: `Bearer ${keys.get(scope)}` }), paramsFor(route));
        if (response.status !== 403) failures.push(`${name} with a ${scope} key: ${response.status}`);
      }
      const fullKey = await handler(request(route, method, { authorization: `Bearer ${keys.get("full")}` }), paramsFor(route));
      if (fullKey.status === 401 || fullKey.status === 403) failures.push(`${name} with a full key was refused: ${fullKey.status}`);
    }
    expect(failures).toEqual([]);
  });

  it("tells anonymous callers of /api/health only whether it is up", async () => {
    const { GET } = await import("@/app/api/health/route");
    const anonymous = (await (await GET(new Request("http://localhost:3000/api/health"), paramsFor("health"))).json()) as Record<string, unknown>;
    expect(Object.keys(anonymous)).toEqual(["status"]);
    const signedIn = (await (await GET(new Request("http://localhost:3000/api/health", { headers: { cookie: cookies.get("viewer")! } }), paramsFor("health"))).json()) as Record<string, unknown>;
    expect(signedIn).toHaveProperty("workers");
    expect(signedIn).toHaveProperty("database");
    const eventsKey = (await (await GET(new Request("http://localhost:3000/api/health", { headers: { authorization: `Bearer ${keys.get("events:write")}` } }), paramsFor("health"))).json()) as Record<string, unknown>;
    expect(Object.keys(eventsKey)).toEqual(["status"]);
  });
});
