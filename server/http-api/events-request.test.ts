import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";

// POST /api/events through its real route handler, with real Requests, the real NATS on
// 127.0.0.1:4222 and a real database. The environment is set before the route is imported,
// because env() is read once per process.

const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const PREFIX = `test_events_route_${randomBytes(4).toString("hex")}`;
const MAX_BYTES = 64 * 1024;

type Handler = (request: Request, context: { params: Promise<Record<string, never>> }) => Promise<Response>;
let database: TestDatabase;
let key: string;
let POST: Handler;
let eventsRequest: typeof import("./events-request");
let apiRoute: typeof import("@/server/http-api/api-route").apiRoute;

beforeAll(async () => {
  database = await createTestDatabase();
  Object.assign(process.env, {
    DATABASE_URL: database.url,
    NATS_URL,
    SYNCLINE_PREFIX: PREFIX,
    SYNCLINE_PARTITIONS: "4",
    SYNCLINE_DUPLICATE_WINDOW_MS: "60000",
    SYNCLINE_MAX_EVENT_BYTES: String(MAX_BYTES),
  });
  key = (await createApiKey(database.prisma, "events route test")).key;
  await database.prisma.eventType.create({
    data: {
      type: "com.acme.return.requested",
      jsonSchema: { type: "object", properties: { orderId: { type: "string" }, quantity: { type: "integer", minimum: 1 } }, required: ["orderId", "quantity"] },
      example: { orderId: "A-1", quantity: 1 },
    },
  });
  POST = (await import("@/app/api/events/route")).POST as Handler;
  eventsRequest = await import("./events-request");
  apiRoute = (await import("@/server/http-api/api-route")).apiRoute;
});
afterAll(async () => {
  const { closeSharedNats } = await import("@/server/nats/connection");
  const { connectNats } = await import("@/server/nats/connection");
  const nc = await connectNats(NATS_URL, { name: "events-route-test-cleanup" });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(`${PREFIX}_events`).catch(() => {});
  await nc.close();
  await closeSharedNats();
  const { db } = await import("@/server/db/client");
  await db().$disconnect();
  await database?.drop();
});

const noParams = { params: Promise.resolve({} as Record<string, never>) };

function event(overrides: Record<string, unknown> = {}) {
  return {
    specversion: "1.0",
    id: `evt-${randomUUID()}`,
    source: "https://erp.example.com",
    type: "stock.changed",
    subject: "SKU-1001",
    data: { sku: "SKU-1001", quantity: 3 },
    ...overrides,
  };
}

function request(body: string, contentType: string | null = "application/cloudevents+json", headers: Record<string, string> = {}) {
  return new Request("http://localhost/api/events", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, ...(contentType ? { "content-type": contentType } : {}), ...headers },
    // Bytes, not a string: for a string body Request would add `text/plain` by itself.
    body: new TextEncoder().encode(body),
  });
}

type ErrorBody = { error: { message: string; issues?: { path: string; message: string }[] } };
async function send(body: unknown, contentType?: string | null, headers?: Record<string, string>, handler: Handler = POST) {
  const response = await handler(request(typeof body === "string" ? body : JSON.stringify(body), contentType, headers), noParams);
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> & ErrorBody };
}

describe("POST /api/events", () => {
  it("accepts one event (cloudevents+json, json, or no content type) with 202 and a result", async () => {
    for (const contentType of ["application/cloudevents+json", "application/json; charset=utf-8", null]) {
      const e = event();
      const response = await send(e, contentType);
      expect(response.status, String(contentType)).toBe(202);
      expect(response.body).toEqual({ results: [{ id: e.id, status: "accepted" }] });
    }
  });

  it("answers duplicate for a re-sent id", async () => {
    const e = event();
    expect((await send(e)).body).toEqual({ results: [{ id: e.id, status: "accepted" }] });
    expect((await send(e)).body).toEqual({ results: [{ id: e.id, status: "duplicate" }] });
  });

  it("passes the request's traceparent header on to events that carry none", async () => {
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const e = event({ subject: "SKU-TRACED" });
    expect((await send(e, undefined, { traceparent })).status).toBe(202);
    const { connectNats } = await import("@/server/nats/connection");
    const { eventSubject } = await import("@/server/runtime/stream-layout");
    const nc = await connectNats(NATS_URL, { name: "events-route-test-reader" });
    try {
      const jsm = await jetstreamManager(nc);
      const subject = eventSubject({ prefix: PREFIX, partitions: 4, duplicateWindowMs: 60_000 }, "SKU-TRACED", "stock.changed");
      const stored = await jsm.streams.getMessage(`${PREFIX}_events`, { last_by_subj: subject });
      expect(stored?.header.get("traceparent")).toBe(traceparent);
      expect(stored?.header.get("Nats-Msg-Id")).toBe(e.id);
    } finally {
      await nc.close();
    }
  });

  it("accepts a batch and answers per event, in order", async () => {
    const batch = [event({ subject: "SKU-1" }), event({ subject: "SKU-2" }), event({ type: "com.acme.return.requested", subject: "ORDER-9", data: { orderId: "ORDER-9", quantity: 1 } })];
    const response = await send(batch, "application/cloudevents-batch+json");
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ results: batch.map((e) => ({ id: e.id, status: "accepted" })) });
  });

  it("names the invalid event of a batch by index and publishes none", async () => {
    const ok = event();
    const response = await send([ok, event({ data: { sku: "SKU-1" } })], "application/cloudevents-batch+json");
    expect(response.status).toBe(400);
    expect(response.body.error.issues).toEqual([{ path: "1.data.quantity", message: "required" }]);
    // The valid one was not published: sending it now is not a duplicate.
    expect((await send(ok)).body).toEqual({ results: [{ id: ok.id, status: "accepted" }] });
  });

  it("answers 400 with field-level issues for unknown types, missing subjects, wrong types and custom schemas", async () => {
    const unknown = await send(event({ type: "com.acme.nobody.knows" }));
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.issues).toEqual([{ path: "type", message: 'unknown event type "com.acme.nobody.knows" (register it under Event types)' }]);

    const { subject: _, ...noSubject } = event();
    const missing = await send(noSubject);
    expect(missing.status).toBe(400);
    expect(missing.body.error.issues).toEqual([{ path: "subject", message: expect.stringMatching(/required/) }]);

    const wrong = await send({ specversion: 1, id: 5, source: [], type: "stock.changed", subject: "SKU-1", data: { sku: 5, quantity: "x" } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.issues!.map((i) => i.path)).toEqual(expect.arrayContaining(["specversion", "id", "source"]));

    const badData = await send(event({ data: { sku: 5, quantity: "x", colour: "red" } }));
    expect(badData.status).toBe(400);
    expect(badData.body.error.issues!.map((i) => i.path)).toEqual(expect.arrayContaining(["data.sku", "data.quantity", "data"]));

    const custom = await send(event({ type: "com.acme.return.requested", subject: "ORDER-1", data: { orderId: "ORDER-1", quantity: 0 } }));
    expect(custom.status).toBe(400);
    expect(custom.body.error.issues).toEqual([{ path: "data.quantity", message: expect.any(String) }]);
  });

  it("answers 400 for malformed JSON and for bodies of the wrong shape", async () => {
    const malformed = await send("{not json");
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/not valid JSON/);

    expect((await send([event()], "application/cloudevents+json")).body.error.message).toMatch(/cloudevents-batch\+json/);
    expect((await send(event(), "application/cloudevents-batch+json")).status).toBe(400);
    expect((await send([], "application/cloudevents-batch+json")).body.error.message).toMatch(/empty/);
    for (const body of ["null", '"text"', "12", "{}", ""]) expect((await send(body)).status, body).toBe(400);
  });

  it("answers 413 over SYNCLINE_MAX_EVENT_BYTES and 415 for other content types", async () => {
    const big = await send(event({ data: { sku: "SKU-1", quantity: 1 }, padding: "x".repeat(MAX_BYTES) }));
    expect(big.status).toBe(413);
    expect(big.body.error.message).toMatch(/limit/);

    const text = await send(event(), "text/plain");
    expect(text.status).toBe(415);
  });

  it("answers 401 without a valid key", async () => {
    for (const authorization of [null, "Bearer syn_wrong", "Basic abc"]) {
      const response = await POST(
        new Request("http://localhost/api/events", {
          method: "POST",
          headers: { "content-type": "application/cloudevents+json", ...(authorization ? { authorization } : {}) },
          body: JSON.stringify(event()),
        }),
        noParams,
      );
      expect(response.status).toBe(401);
    }
  });

  it("answers 503 with Retry-After while NATS is down, and 202 once it is back", async () => {
    const { startNatsServer } = await import("@/server/nats/nats-server-process");
    const { connectNats } = await import("@/server/nats/connection");
    const dir = mkdtempSync(path.join(os.tmpdir(), "syncline-events-route-"));
    const server = await startNatsServer({ storeDir: dir });
    let own: NatsConnection | undefined;
    try {
      const nats = async () => (own ??= await connectNats(server.url, { name: "events-route-test", reconnectTimeWait: 100, reconnectJitter: 0 }));
      const handler = apiRoute({ role: "editor", scope: "events:write" }, (req: Request) => eventsRequest.handleEventsRequest(req, { nats })) as Handler;

      expect((await send(event(), undefined, undefined, handler)).status).toBe(202);

      await server.stop();
      const down = await send(event(), undefined, undefined, handler);
      expect(down.status).toBe(503);
      expect(down.headers.get("retry-after")).toBe("5");
      expect(down.body.error.message).toMatch(/NATS .*retry shortly/);

      await server.restart();
      const e = event();
      const deadline = Date.now() + 20_000;
      let status = 0;
      while (Date.now() < deadline) {
        const response = await send(e, undefined, undefined, handler);
        status = response.status;
        if (status !== 503) break;
        await sleep(100);
      }
      expect(status).toBe(202);
    } finally {
      await own?.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
