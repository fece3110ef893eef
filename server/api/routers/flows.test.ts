import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { callerFor, trpcCode, type TestCaller } from "@/server/testing/trpc-caller";
import { flowTemplates } from "@/server/flows/templates";
import { emptyFlowDocument, type FlowDocument } from "@/server/flows/flow-document";

let database: TestDatabase;
let caller: TestCaller;

beforeAll(async () => {
  database = await createTestDatabase();
  caller = callerFor(database.prisma);
});
afterAll(async () => {
  await database?.drop();
});

function stockToHttpFlow(name: string, url = "https://shop.example.com/stock"): FlowDocument {
  return {
    schemaVersion: 1,
    name,
    nodes: [
      { id: "trigger", kind: "trigger:stock.changed", version: 1, config: {}, position: { x: 0, y: 0 } },
      { id: "notify", kind: "action:http-request", version: 1, config: { method: "POST", url }, position: { x: 300, y: 0 } },
    ],
    edges: [{ id: "e1", source: "trigger", target: "notify", sourceHandle: "out" }],
    settings: { orderingPolicy: "hold" },
  };
}

describe("flows router", () => {
  it("creates a blank flow, lists it and finds it by search", async () => {
    const { id } = await caller.flows.create({ name: "Blank stock flow" });
    const flow = await caller.flows.get({ id });
    expect(flow.document).toMatchObject({ schemaVersion: 1, name: "Blank stock flow", nodes: [], edges: [] });
    expect(flow.revision).toBe(1);
    expect(flow.problems.map((p) => p.code)).toContain("no-trigger");

    const found = await caller.flows.list({ search: "blank STOCK" });
    expect(found.map((f) => f.id)).toEqual([id]);
    expect(await caller.flows.list({ search: "no such flow name" })).toEqual([]);
  });

  it("creates a flow from every template; one left without channels asks for each, never keeps a placeholder", async () => {
    for (const template of flowTemplates) {
      const { id } = await caller.flows.create({ templateId: template.id });
      const flow = await caller.flows.get({ id });
      expect(flow.name).toBe(template.document.name);
      const asked = (await caller.flows.templates()).find((t) => t.id === template.id)!.references;
      expect(flow.problems.map((p) => `${p.nodeId}.${p.field}`).sort()).toEqual(asked.map((r) => r.key).sort());
      expect(flow.problems.every((p) => p.needsInput === "channel" || p.needsInput === "credential")).toBe(true);
    }
  });

  it("creates a template flow with the user's own channels and credentials: it validates with no problems", async () => {
    const credential = await caller.credentials.create({ name: `DeepL ${Date.now()}`, type: "deepl", secret: { apiKey: "k" } });
    const channel = await caller.channels.create({ name: `Hook ${Date.now()}`, type: "webhook", credentialId: null, settings: { url: "https://hooks.example.com/sync" } });
    for (const template of flowTemplates) {
      const refs = (await caller.flows.templates()).find((t) => t.id === template.id)!.references;
      const references = Object.fromEntries(refs.map((r) => [r.key, r.reference === "channel" ? channel.id : credential.id]));
      const { id } = await caller.flows.create({ templateId: template.id, references });
      const flow = await caller.flows.get({ id });
      expect(flow.problems, template.id).toEqual([]);
      const channelIds = flow.document.nodes.map((n) => n.config.channelId).filter((v) => v !== undefined);
      expect(channelIds.every((v) => v === channel.id), template.id).toBe(true);
    }
    expect(await trpcCode(caller.flows.create({ templateId: "out-of-stock-everywhere", references: { "nope.channelId": channel.id } }))).toBe("BAD_REQUEST");
  });

  it("saves a draft, bumps the revision and refuses a stale save", async () => {
    const { id } = await caller.flows.create({ name: "Concurrent edits" });
    const first = await caller.flows.save({ id, revision: 1, document: stockToHttpFlow("Concurrent edits") });
    expect(first.revision).toBe(2);
    expect(first.problems).toEqual([]);

    // A second editor that loaded revision 1 must not overwrite the newer save.
    expect(await trpcCode(caller.flows.save({ id, revision: 1, document: emptyFlowDocument("Stale") }))).toBe("CONFLICT");
    const stored = await caller.flows.get({ id });
    expect(stored.document.nodes).toHaveLength(2);
    expect(stored.name).toBe("Concurrent edits");
  });

  it("saves a draft with problems but refuses to publish it, naming the problem", async () => {
    const { id } = await caller.flows.create({ name: "Broken" });
    const saved = await caller.flows.save({ id, revision: 1, document: stockToHttpFlow("Broken", "not a url") });
    expect(saved.problems.some((p) => p.nodeId === "notify" && p.field === "url")).toBe(true);

    try {
      await caller.flows.publish({ id });
      expect.unreachable("publish should fail");
    } catch (error) {
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe("PRECONDITION_FAILED");
      expect((error as TRPCError).message).toMatch(/notify/);
    }
    expect((await caller.flows.versions({ id }))).toEqual([]);
  });

  it("publishes numbered immutable versions and restores one into the draft", async () => {
    const { id } = await caller.flows.create({ name: "Versioned" });
    await caller.flows.save({ id, revision: 1, document: stockToHttpFlow("Versioned", "https://a.example.com/") });
    expect(await caller.flows.publish({ id })).toEqual({ version: 1 });
    await caller.flows.save({ id, revision: 2, document: stockToHttpFlow("Versioned", "https://b.example.com/") });
    expect(await caller.flows.publish({ id })).toEqual({ version: 2 });

    // Publishing the same draft again makes no new version.
    expect(await caller.flows.publish({ id })).toEqual({ version: 2 });
    const versions = await caller.flows.versions({ id });
    expect(versions.map((v) => v.version)).toEqual([2, 1]);
    expect((await caller.flows.get({ id })).publishedVersion).toBe(2);
    // History says what changed and who published.
    expect(versions[0]!.changes).toMatchObject({ added: [], removed: [], changed: ["notify"] });
    expect(versions[1]!.changes.added.sort()).toEqual(["notify", "trigger"]);
    expect(versions.every((v) => typeof v.publishedBy === "string" && v.publishedBy.length > 0)).toBe(true);

    // A restore brings back steps and settings, not the name.
    await caller.flows.rename({ id, name: "Versioned, renamed" });
    const restored = await caller.flows.restoreVersion({ id, version: 1, revision: 4 });
    expect(restored.document.name).toBe("Versioned, renamed");
    expect(restored.document.nodes.find((n) => n.id === "notify")?.config.url).toBe("https://a.example.com/");
    // Restoring changes the draft only; version 2 stays what it was.
    const flow = await caller.flows.get({ id });
    expect(flow.document.nodes.find((n) => n.id === "notify")?.config.url).toBe("https://a.example.com/");
    expect(flow.name).toBe("Versioned, renamed");
    expect(flow.publishedVersion).toBe(2);
    expect(await trpcCode(caller.flows.restoreVersion({ id, version: 9, revision: flow.revision }))).toBe("NOT_FOUND");
  });

  it("renames, duplicates, enables and deletes", async () => {
    const { id } = await caller.flows.create({ name: "Original" });
    await caller.flows.rename({ id, name: "Renamed" });
    expect((await caller.flows.get({ id })).document.name).toBe("Renamed");

    const copy = await caller.flows.duplicate({ id });
    expect((await caller.flows.get({ id: copy.id })).name).toBe("Renamed (copy)");

    // Never published: nothing to run, so enabling is refused with a message that says what to do.
    const refused = await caller.flows.setEnabled({ id, enabled: true }).catch((error: unknown) => error as { code?: string; message?: string });
    expect(refused).toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/never been published.*publish it first/) });
    expect((await caller.flows.get({ id })).enabled).toBe(false);

    await caller.flows.delete({ id });
    expect(await trpcCode(caller.flows.get({ id }))).toBe("NOT_FOUND");
    expect(await trpcCode(caller.flows.delete({ id }))).toBe("NOT_FOUND");
  });

  it("rejects bad input with field-level errors", async () => {
    expect(await trpcCode(caller.flows.create({ name: "   " }))).toBe("BAD_REQUEST");
    expect(
      await trpcCode(caller.flows.save({ id: "x", revision: 1, document: { schemaVersion: 2 } as unknown as FlowDocument })),
    ).toBe("BAD_REQUEST");
  });
});

describe("apiKeys router", () => {
  it("creates a key shown once, lists it by prefix only, and revokes it", async () => {
    const created = await caller.apiKeys.create({ name: "ERP feed", scope: "read" });
    expect(created.key).toMatch(/^syn_/);
    const listed = await caller.apiKeys.list();
    const row = listed.find((k) => k.id === created.id);
    expect(row).toMatchObject({ name: "ERP feed", prefix: created.key.slice(0, 10), scope: "read" });
    expect(JSON.stringify(listed)).not.toContain(created.key);

    await caller.apiKeys.revoke({ id: created.id });
    expect((await caller.apiKeys.list()).some((k) => k.id === created.id)).toBe(false);
    expect(await trpcCode(caller.apiKeys.revoke({ id: created.id }))).toBe("NOT_FOUND");
  });
});
