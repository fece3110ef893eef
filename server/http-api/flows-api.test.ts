import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { createApiKey } from "@/server/auth/api-keys";
import { getFlowTemplate } from "@/server/flows/templates";

// The automation API's route handlers, called with real Requests against a real database.

let database: TestDatabase;
let key: string;
let routes: {
  importFlow: (req: Request, ctx: { params: Promise<Record<string, never>> }) => Promise<Response>;
  exportFlow: (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;
  publishFlow: (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;
  enableFlow: (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;
  disableFlow: (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;
};

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
  key = (await createApiKey(database.prisma, "test")).key;
  routes = {
    importFlow: (await import("@/app/api/flows/import/route")).POST,
    exportFlow: (await import("@/app/api/flows/[id]/export/route")).GET,
    publishFlow: (await import("@/app/api/flows/[id]/publish/route")).POST,
    enableFlow: (await import("@/app/api/flows/[id]/enable/route")).POST,
    disableFlow: (await import("@/app/api/flows/[id]/disable/route")).POST,
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
    const document = getFlowTemplate("order-fulfilment")!.document;
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

  it("enables only a published flow; publish with {enable: true} deploys in one call; disable", async () => {
    const call = (body?: string) => new Request("http://localhost/x", { method: "POST", headers: { authorization: `Bearer ${key}` }, ...(body ? { body } : {}) });
    const imported = await routes.importFlow(post(JSON.stringify(getFlowTemplate("order-fulfilment")!.document)), noParams);
    const { id } = (await imported.json()) as { id: string };

    const refused = await routes.enableFlow(call(), idParams(id));
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/never been published.*publish it first/);
    expect((await database.prisma.flow.findUniqueOrThrow({ where: { id } })).enabled).toBe(false);

    const badBody = await routes.publishFlow(call('{"enable": "yes"}'), idParams(id));
    expect(badBody.status).toBe(400);
    expect(((await badBody.json()) as { error: { issues: { path: string }[] } }).error.issues[0]!.path).toBe("enable");

    const deployed = await routes.publishFlow(call('{"enable": true}'), idParams(id));
    expect(deployed.status).toBe(200);
    expect(await deployed.json()).toEqual({ id, version: 1, enabled: true });
    expect((await database.prisma.flow.findUniqueOrThrow({ where: { id } })).enabled).toBe(true);

    const disabled = await routes.disableFlow(call(), idParams(id));
    expect(await disabled.json()).toEqual({ id, enabled: false, publishedVersion: 1 });
    const enabled = await routes.enableFlow(call(), idParams(id));
    expect(await enabled.json()).toEqual({ id, enabled: true, publishedVersion: 1 });
    expect((await routes.enableFlow(call(), idParams("00000000-0000-0000-0000-000000000000"))).status).toBe(404);
    expect((await routes.enableFlow(new Request("http://localhost/x", { method: "POST" }), idParams(id))).status).toBe(401);
  });

  it("refuses to publish a flow naming a missing channel or a credential of the wrong type", async () => {
    const template = getFlowTemplate("out-of-stock-everywhere")!.document;
    const imported = await routes.importFlow(post(JSON.stringify(template)), noParams);
    const { id, problems } = (await imported.json()) as { id: string; problems: unknown[] };
    expect(problems).toEqual([]); // validateFlow alone cannot know the channel is missing
    const response = await routes.publishFlow(new Request("http://localhost/x", { method: "POST", headers: { authorization: `Bearer ${key}` } }), idParams(id));
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { issues: { path: string; message: string }[] } };
    expect(body.error.issues).toContainEqual({ path: "nodes.webshop.config.channelId", message: expect.stringMatching(/Channel: this channel does not exist/) });
    expect(body.error.issues).toHaveLength(5);

    const { createCredential } = await import("@/server/credentials/credential-store");
    const deepl = await createCredential(database.prisma, { name: "DeepL", type: "deepl", secret: { apiKey: "k" } }, { key: Buffer.alloc(32, 1) });
    const hook = {
      schemaVersion: 1, name: "Hook", edges: [], settings: { orderingPolicy: "hold" },
      nodes: [{ id: "t", kind: "trigger:webhook", version: 1, position: { x: 0, y: 0 }, config: { path: "wrong-secret", secretCredentialId: deepl.id } }],
    };
    const hookFlow = (await (await routes.importFlow(post(JSON.stringify(hook)), noParams)).json()) as { id: string };
    const wrongType = await routes.publishFlow(new Request("http://localhost/x", { method: "POST", headers: { authorization: `Bearer ${key}` } }), idParams(hookFlow.id));
    expect(wrongType.status).toBe(422);
    expect(((await wrongType.json()) as { error: { issues: { message: string }[] } }).error.issues[0]!.message).toMatch(/"DeepL" is a DeepL API credential; choose a Webhook signing secret credential/);
  });
});
