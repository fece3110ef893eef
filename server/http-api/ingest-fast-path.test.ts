import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, revokeApiKey } from "@/server/auth/api-keys";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import type { AddressInfo } from "node:net";

// The ingest fast path (docs/decisions/0018) serving the real POST /api/events route module over
// real HTTP, with the real NATS on 127.0.0.1:4222 and a real database: what a sender sees on the
// fast path must be what it sees through Next.js.

const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const PREFIX = `test_ingest_listener_${randomBytes(4).toString("hex")}`;
const MAX_BYTES = 16 * 1024;

let database: TestDatabase;
let key: string;
let keyId: string;
let server: http.Server;
let base: string;

beforeAll(async () => {
  database = await createTestDatabase();
  Object.assign(process.env, {
    DATABASE_URL: database.url,
    NATS_URL,
    SYNCLINE_PREFIX: PREFIX,
    SYNCLINE_PARTITIONS: "4",
    SYNCLINE_MAX_EVENT_BYTES: String(MAX_BYTES),
  });
  const created = await createApiKey(database.prisma, "ingest listener test", "events:write");
  key = created.key;
  keyId = created.id;
  const route = await import("@/app/api/events/route");
  const { createIngestFastPath } = await import("./ingest-fast-path");
  server = http.createServer(createIngestFastPath({ routes: { GET: route.GET, POST: route.POST, PUT: route.PUT, PATCH: route.PATCH, DELETE: route.DELETE } }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  const { closeSharedNats, connectNats } = await import("@/server/nats/connection");
  const nc = await connectNats(NATS_URL, { name: "ingest-fast-path-test-cleanup" });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(`${PREFIX}_events`).catch(() => {});
  await nc.close();
  await closeSharedNats();
  const { db } = await import("@/server/db/client");
  await db().$disconnect();
  await database?.drop();
});

function event(overrides: Record<string, unknown> = {}) {
  return {
    specversion: "1.0",
    id: `evt-${randomUUID()}`,
    source: "https://erp.example.com",
    type: "stock.changed",
    subject: "SKU-2001",
    data: { sku: "SKU-2001", quantity: 4 },
    ...overrides,
  };
}

function post(body: unknown, headers: Record<string, string> = {}, path = "/api/events") {
  return fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/cloudevents+json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function storedEvent(id: string) {
  const { connectNats } = await import("@/server/nats/connection");
  const nc = await connectNats(NATS_URL, { name: "ingest-fast-path-test-read" });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(`${PREFIX}_events`);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const msg = await jsm.streams.getMessage(`${PREFIX}_events`, { seq });
      if (msg?.header.get("Nats-Msg-Id") === id) return { body: msg.json<Record<string, unknown>>(), orderingKey: msg.header.get("Syncline-Ordering-Key") };
    }
    return undefined;
  } finally {
    await nc.close();
  }
}

describe("the ingest fast path", () => {
  it("stores a single event in JetStream and answers 202 with its result, with the app's security headers", async () => {
    const sent = event();
    const response = await post(sent);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ results: [{ id: sent.id, status: "accepted" }] });
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const stored = await storedEvent(sent.id);
    expect(stored?.body).toMatchObject({ id: sent.id, subject: "SKU-2001", data: { sku: "SKU-2001", quantity: 4 } });
    expect(stored?.orderingKey).toBe("SKU-2001");

    const again = await post(sent);
    expect(await again.json()).toEqual({ results: [{ id: sent.id, status: "duplicate" }] });
  });

  it("accepts a batch", async () => {
    const batch = [event({ subject: "SKU-1", data: { sku: "SKU-1", quantity: 1 } }), event({ subject: "SKU-2", data: { sku: "SKU-2", quantity: 2 } })];
    const response = await post(batch, { "content-type": "application/cloudevents-batch+json" });
    expect(response.status).toBe(202);
    expect((await response.json()).results).toEqual(batch.map((e) => ({ id: e.id, status: "accepted" })));
  });

  it("refuses what the Next route refuses, in the same words: no key, a bad event, a body over the limit, a foreign Host", async () => {
    const anonymous = await fetch(`${base}/api/events`, { method: "POST", headers: { "content-type": "application/cloudevents+json" }, body: JSON.stringify(event()) });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toContain("Bearer");

    const invalid = await post(event({ data: { sku: "SKU-2001" } }));
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).error.issues).toContainEqual({ path: "data.quantity", message: "required" });

    const tooLarge = await post(event({ data: { sku: "SKU-2001", quantity: 1, note: "x".repeat(MAX_BYTES) } }));
    expect(tooLarge.status).toBe(413);

    const broken = await post("{not json");
    expect(broken.status).toBe(400);

    // fetch() sends its own Host; a DNS-rebinding page's request carries the attacker's name.
    const foreign = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${base}/api/events`, { method: "POST", headers: { host: "evil.example.com", authorization: `Bearer ${key}`, "content-type": "application/cloudevents+json" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end(JSON.stringify(event()));
    });
    expect(foreign).toBe(421);
  });

  it("reads repeated headers as the Next route does: two Authorization headers are one invalid credential, not the first one", async () => {
    // fetch's Headers join repeated headers with ", "; node keeps only the first Authorization.
    // The fast path reads node's raw headers, so a valid key followed by another is still refused.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${base}/api/events`, { method: "POST", headers: ["Host", new URL(base).host, "Authorization", `Bearer ${key}`, "Authorization", "Bearer someone-elses", "Content-Type", "application/cloudevents+json"] }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end(JSON.stringify(event()));
    });
    expect(status).toBe(401);
  });

  it("stops taking a key the moment it is revoked", async () => {
    expect((await post(event())).status).toBe(202);
    await revokeApiKey(database.prisma, keyId);
    expect((await post(event())).status).toBe(401);
  });

  it("answers other methods 405 naming the one it takes", async () => {
    const get = await fetch(`${base}/api/events`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });
});
