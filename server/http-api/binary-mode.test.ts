import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { jetstreamManager } from "@nats-io/jetstream";
import { CloudEvent, emitterFor, HTTP, httpTransport, Mode } from "cloudevents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/server/auth/api-keys";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";

// POST /api/events spoken to by the official CloudEvents JavaScript SDK, in binary mode (its
// default), structured mode and through its emitter, over real HTTP to the real route handler,
// the real NATS and a real database.

const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const PREFIX = `test_binary_mode_${randomBytes(4).toString("hex")}`;
const MAX_BYTES = 16 * 1024;
const LAYOUT = { prefix: PREFIX, partitions: 4, duplicateWindowMs: 60_000 };

let database: TestDatabase;
let key: string;
let server: http.Server;
let url: string;

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
  key = (await createApiKey(database.prisma, "binary mode test")).key;
  const route = await import("@/app/api/events/route");
  const { createIngestFastPath } = await import("./ingest-fast-path");
  // The node:http server `npm start` puts in front of the route (the ingest fast path).
  server = http.createServer(createIngestFastPath({ routes: { POST: route.POST } }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/events`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  const { closeSharedNats, connectNats } = await import("@/server/nats/connection");
  const nc = await connectNats(NATS_URL, { name: "binary-mode-test-cleanup" });
  await (await jetstreamManager(nc)).streams.delete(`${PREFIX}_events`).catch(() => {});
  await nc.close();
  await closeSharedNats();
  const { db } = await import("@/server/db/client");
  await db().$disconnect();
  await database?.drop();
});

function stockEvent(overrides: Record<string, unknown> = {}) {
  const subject = `SKU-${randomUUID().slice(0, 8)}`;
  return new CloudEvent({
    id: `evt-${randomUUID()}`,
    source: "https://erp.example.com",
    type: "stock.changed",
    subject,
    datacontenttype: "application/json",
    data: { sku: subject, quantity: 3 },
    ...overrides,
  });
}

async function post(message: { headers: Record<string, unknown>; body: unknown }, extra: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { ...(message.headers as Record<string, string>), authorization: `Bearer ${key}`, ...extra },
    body: message.body as string,
  });
  return { status: response.status, body: (await response.json()) as { results?: unknown; error?: { message: string; issues?: { path: string; message: string }[] } } };
}

async function stored(subject: string, type = "stock.changed") {
  const { connectNats } = await import("@/server/nats/connection");
  const { eventSubject } = await import("@/server/runtime/stream-layout");
  const nc = await connectNats(NATS_URL, { name: "binary-mode-test-reader" });
  try {
    const jsm = await jetstreamManager(nc);
    const message = await jsm.streams.getMessage(`${PREFIX}_events`, { last_by_subj: eventSubject(LAYOUT, subject, type) });
    return { event: message!.json<Record<string, unknown>>(), traceparent: message!.header.get("traceparent") };
  } finally {
    await nc.close();
  }
}

describe("POST /api/events with the CloudEvents SDK", () => {
  it("accepts binary mode: attributes from ce-* headers, extensions kept, ce-traceparent honoured", async () => {
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const event = stockEvent({ traceparent, erpbatch: "night-7" });
    const message = HTTP.binary(event);
    expect(message.headers["ce-id"]).toBe(event.id); // the SDK really sends binary mode
    const response = await post(message);
    expect(response.status).toBe(202);
    expect(response.body.results).toEqual([{ id: event.id, status: "accepted" }]);

    const saved = await stored(event.subject!);
    expect(saved.event).toMatchObject({
      id: event.id, source: event.source, type: "stock.changed", subject: event.subject,
      datacontenttype: "application/json", data: { sku: event.subject, quantity: 3 }, erpbatch: "night-7", traceparent,
    });
    expect(saved.traceparent).toBe(traceparent);
  });

  it("answers duplicate for a re-sent binary-mode event, like structured mode", async () => {
    const message = HTTP.binary(stockEvent());
    expect((await post(message)).body.results).toEqual([{ id: message.headers["ce-id"], status: "accepted" }]);
    expect((await post(message)).body.results).toEqual([{ id: message.headers["ce-id"], status: "duplicate" }]);
  });

  it("accepts structured mode from the SDK", async () => {
    const event = stockEvent();
    const response = await post(HTTP.structured(event));
    expect(response.status).toBe(202);
    expect(response.body.results).toEqual([{ id: event.id, status: "accepted" }]);
  });

  it("accepts events sent by the SDK's emitter, in its default (binary) and structured mode", async () => {
    for (const mode of [Mode.BINARY, Mode.STRUCTURED]) {
      const event = stockEvent();
      const emit = emitterFor(httpTransport(url), { mode });
      const response = (await emit(event, { headers: { authorization: `Bearer ${key}` } })) as { body: string };
      expect(JSON.parse(response.body), mode).toEqual({ results: [{ id: event.id, status: "accepted" }] });
      expect((await stored(event.subject!)).event.id).toBe(event.id);
    }
  });

  it("validates binary mode as structured mode: field-level 400s, 401, 413", async () => {
    const badData = await post(HTTP.binary(stockEvent({ data: { sku: "SKU-1", quantity: "many" } })));
    expect(badData.status).toBe(400);
    expect(badData.body.error?.issues).toEqual([{ path: "data.quantity", message: expect.any(String) }]);

    const noSubject = HTTP.binary(stockEvent());
    delete noSubject.headers["ce-subject"];
    const missing = await post(noSubject);
    expect(missing.status).toBe(400);
    expect(missing.body.error?.issues).toEqual([{ path: "subject", message: expect.stringMatching(/required/) }]);

    const unknownType = await post(HTTP.binary(stockEvent({ type: "com.acme.nobody.knows" })));
    expect(unknownType.status).toBe(400);
    expect(unknownType.body.error?.issues?.[0]?.path).toBe("type");

    const notJson = await post({ headers: HTTP.binary(stockEvent()).headers, body: "{not json" });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error?.message).toMatch(/not valid JSON/);

    const big = await post(HTTP.binary(stockEvent({ data: { sku: "SKU-1", quantity: 1, padding: "x".repeat(MAX_BYTES) } })));
    expect(big.status).toBe(413);

    const message = HTTP.binary(stockEvent());
    const unauthenticated = await fetch(url, { method: "POST", headers: message.headers as Record<string, string>, body: message.body as string });
    expect(unauthenticated.status).toBe(401);
  });
});
