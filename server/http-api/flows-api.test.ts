import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { createApiKey } from "@/server/auth/api-keys";
import { flowTemplates } from "@/server/flows/templates";

// The automation API's route handlers, called with real Requests against a real database.

let database: TestDatabase;
let key: string;
let routes: {
  importFlow: (req: Request, ctx: { params: Promise<Record<string, never>> }) => Promise<Response>;
  exportFlow: (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;
  publishFlow: (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;
};

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
  key = (await createApiKey(database.prisma, "test")).key;
  routes = {
    importFlow: (await import("@/app/api/flows/import/route")).POST,
    exportFlow: (await import("@/app/api/flows/[id]/export/route")).GET,
    publishFlow: (await import("@/app/api/flows/[id]/publish/route")).POST,
  };
});
afterAll(async () => {
  const { db } = await import("@/server/db/client");
  await db().$disconnect();
  await database?.drop();
});

const noParams = { params: Promise.resolve({} as Record<string, never>) };
const idParams = (id: string) => ({ params: Promise.resolve({ id }) });

function post(body: string, auth: string | null = `Bearer ${key}`) {
  return new Request("http://localhost/api/flows/import", {
    method: "POST",
    headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
    body,
  });
}

describe("flow import, export and publish API", () => {
  it("imports a template, exports the same document and publishes it", async () => {
    const document = flowTemplates[0]!.document;
    const imported = await routes.importFlow(post(JSON.stringify(document)), noParams);
    expect(imported.status).toBe(201);
    const { id, problems } = (await imported.json()) as { id: string; problems: unknown[] };
    expect(problems).toEqual([]);

    const exported = await routes.exportFlow(new Request(`http://localhost/api/flows/${id}/export`, { headers: { authorization: `Bearer ${key}` } }), idParams(id));
    expect(exported.status).toBe(200);
    expect(await exported.json()).toEqual(document);

    const published = await routes.publishFlow(new Request(`http://localhost/api/flows/${id}/publish`, { method: "POST", headers: { authorization: `Bearer ${key}` } }), idParams(id));
    expect(published.status).toBe(200);
    expect(await published.json()).toEqual({ id, version: 1 });
  });

  it("refuses to publish a flow with problems, naming them", async () => {
    const broken = { schemaVersion: 1, name: "No trigger", nodes: [], edges: [], settings: { orderingPolicy: "hold" } };
    const imported = await routes.importFlow(post(JSON.stringify(broken)), noParams);
    expect(imported.status).toBe(201);
    const { id } = (await imported.json()) as { id: string };
    const response = await routes.publishFlow(new Request("http://localhost/x", { method: "POST", headers: { authorization: `Bearer ${key}` } }), idParams(id));
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { message: string; issues: { message: string }[] } };
    expect(body.error.message).toMatch(/cannot be published/);
    expect(body.error.issues.length).toBeGreaterThan(0);
  });

  it("answers 401 without a valid key", async () => {
    expect((await routes.importFlow(post("{}", null), noParams)).status).toBe(401);
    expect((await routes.importFlow(post("{}", "Bearer syn_wrong"), noParams)).status).toBe(401);
    expect((await routes.importFlow(post("{}", "Basic abc"), noParams)).status).toBe(401);
  });

  it("answers 400 with field-level issues for bad documents, never 500", async () => {
    const malformed = await routes.importFlow(post("{not json"), noParams);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/);

    const wrongTypes = await routes.importFlow(post(JSON.stringify({ schemaVersion: 1, name: 5, nodes: "x", edges: [] })), noParams);
    expect(wrongTypes.status).toBe(400);
    const issues = ((await wrongTypes.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path);
    expect(issues).toEqual(expect.arrayContaining(["name", "nodes"]));

    for (const body of ["null", "[]", '"text"', "12"]) {
      expect((await routes.importFlow(post(body), noParams)).status).toBe(400);
    }
  });

  it("answers 413 for an oversized body and 404 for an unknown flow", async () => {
    const huge = JSON.stringify({ schemaVersion: 1, name: "x".repeat(6_000_000), nodes: [], edges: [] });
    expect((await routes.importFlow(post(huge), noParams)).status).toBe(413);
    const missing = await routes.exportFlow(new Request("http://localhost/x", { headers: { authorization: `Bearer ${key}` } }), idParams("00000000-0000-0000-0000-000000000000"));
    expect(missing.status).toBe(404);
  });
});
