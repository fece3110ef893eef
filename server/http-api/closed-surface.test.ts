import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { signedInCookie } from "@/server/testing/trpc-caller";

// The checks in front of every route, exercised through the real tRPC route handler: the audit's
// cross-site multipart POST to flows.create, foreign Origins and Host names (DNS rebinding), and
// the body and batch limits.

type Route = (request: Request, context: { params: Promise<{ trpc: string }> }) => Promise<Response>;
let database: TestDatabase;
let cookie: string;
let POST: Route;
let limits: { TRPC_MAX_BODY_BYTES: number; TRPC_MAX_BATCH_SIZE: number };
const noParams = { params: Promise.resolve({ trpc: "" }) };

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
  cookie = (await signedInCookie(database.prisma, "editor")).cookie;
  const mod = await import("@/app/api/trpc/[trpc]/route");
  POST = mod.POST as Route;
  limits = mod;
});
afterAll(async () => {
  const { db } = await import("@/server/db/client");
  await db().$disconnect();
  await database?.drop();
});

function createFlow(headers: Record<string, string>, body: BodyInit = JSON.stringify({ 0: { json: { name: "From a test" } } })) {
  return POST(new Request("http://localhost:3000/api/trpc/flows.create?batch=1", { method: "POST", headers: { cookie, ...headers }, body }), noParams);
}
const flowCount = () => database.prisma.flow.count();

describe("the closed surface", () => {
  it("accepts a same-origin JSON mutation", async () => {
    const before = await flowCount();
    const response = await createFlow({ "content-type": "application/json", origin: "http://localhost:3000", "sec-fetch-site": "same-origin" });
    expect(response.status).toBe(200);
    expect(await flowCount()).toBe(before + 1);
  });

  it("refuses a cross-site multipart form POST to flows.create", async () => {
    const form = new FormData();
    form.set("0", JSON.stringify({ json: { name: "CSRF" } }));
    const before = await flowCount();
    const response = await createFlow({ origin: "https://evil.example", "sec-fetch-site": "cross-site" }, form);
    expect(response.status).toBe(403);
    expect(await flowCount()).toBe(before);
  });

  it("refuses a non-JSON mutation even from the same origin", async () => {
    const response = await createFlow({ "content-type": "text/plain", origin: "http://localhost:3000" });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/application\/json/);
  });

  it("refuses a JSON mutation from another origin", async () => {
    const before = await flowCount();
    expect((await createFlow({ "content-type": "application/json", origin: "https://evil.example" })).status).toBe(403);
    expect((await createFlow({ "content-type": "application/json", "sec-fetch-site": "same-site" })).status).toBe(403);
    expect(await flowCount()).toBe(before);
  });

  it("refuses a Host header that is not this deployment (DNS rebinding)", async () => {
    const response = await createFlow({ "content-type": "application/json", host: "attacker.example:3000" });
    expect(response.status).toBe(421);
    const read = await POST(new Request("http://localhost:3000/api/trpc/flows.list", { headers: { cookie, host: "rebound.attacker.example" } }), noParams);
    expect(read.status).toBe(421);
  });

  it("refuses an oversized body with 413 and a batch over the limit with 400", async () => {
    const huge = JSON.stringify({ 0: { json: { name: "x".repeat(limits.TRPC_MAX_BODY_BYTES) } } });
    expect((await createFlow({ "content-type": "application/json" }, huge)).status).toBe(413);
    const n = limits.TRPC_MAX_BATCH_SIZE + 1;
    const paths = Array.from({ length: n }, () => "flows.templates").join(",");
    const input = encodeURIComponent(JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, {}]))));
    const batch = await POST(new Request(`http://localhost:3000/api/trpc/${paths}?batch=1&input=${input}`, { headers: { cookie } }), noParams);
    expect(batch.status).toBe(400);
    const within = Array.from({ length: limits.TRPC_MAX_BATCH_SIZE }, () => "flows.templates").join(",");
    const ok = await POST(new Request(`http://localhost:3000/api/trpc/${within}?batch=1&input=${encodeURIComponent(JSON.stringify({}))}`, { headers: { cookie } }), noParams);
    expect(ok.status).toBe(200);
  });
});

describe("the Host check with SYNCLINE_PUBLIC_URL", () => {
  it("accepts only the configured host", async () => {
    const { checkHost } = await import("./request-guard");
    const at = (host: string) => new Request("http://x/", { headers: { host } });
    expect(checkHost(at("syncline.example.com"), "https://syncline.example.com")).toBeNull();
    expect(checkHost(at("localhost:3000"), "https://syncline.example.com")?.status).toBe(421);
    expect(checkHost(at("localhost:3000"), undefined)).toBeNull();
    expect(checkHost(at("127.0.0.1:8080"), undefined)).toBeNull();
    expect(checkHost(at("192.168.1.10:3000"), undefined)?.status).toBe(421);
  });
});
