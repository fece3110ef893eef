import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { connectNats } from "@/server/nats/connection";
import { startNatsServer } from "@/server/nats/nats-server-process";
import { findFreePort } from "@/server/nats/probe";
import { eventSubject, eventsStreamName, partitionOf, type StreamLayout } from "@/server/runtime/stream-layout";
import { createEventSchemaRegistry, type EventSchemaRegistry } from "./event-schema-registry";
import {
  ingestEvents,
  IngestTooLargeError,
  IngestUnavailableError,
  IngestValidationError,
  ORDERING_KEY_HEADER,
  RECEIVED_AT_HEADER,
  type IngestOptions,
} from "./ingest";

// Ingest against the real NATS on 127.0.0.1:4222 and a real Postgres (custom types). Every test
// file uses its own stream prefix and deletes its streams afterwards: the server is shared.

const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const layout: StreamLayout = { prefix: `test_ingest_${randomBytes(4).toString("hex")}`, partitions: 8, duplicateWindowMs: 60_000 };
const stream = eventsStreamName(layout);

let database: TestDatabase;
let nc: NatsConnection;
let jsm: JetStreamManager;
let registry: EventSchemaRegistry;
let options: IngestOptions;

beforeAll(async () => {
  database = await createTestDatabase();
  nc = await connectNats(NATS_URL, { name: "ingest-test" });
  jsm = await jetstreamManager(nc);
  registry = createEventSchemaRegistry({ db: () => database.prisma });
  options = { nats: async () => nc, layout, registry };
});
afterAll(async () => {
  await jsm?.streams.delete(stream).catch(() => {});
  await nc?.drain();
  await database?.drop();
});

let counter = 0;
function stockEvent(overrides: Record<string, unknown> = {}) {
  counter++;
  return {
    specversion: "1.0",
    id: `evt-${randomUUID()}`,
    source: "https://erp.example.com",
    type: "stock.changed",
    subject: `SKU-${counter}`,
    data: { sku: `SKU-${counter}`, quantity: counter },
    ...overrides,
  };
}

async function messagesFor(subject: string) {
  const info = await jsm.streams.info(stream, { subjects_filter: subject }).catch(() => null);
  return info?.state.subjects?.[subject] ?? 0;
}

async function storedMessages(): Promise<number> {
  const info = await jsm.streams.info(stream).catch(() => null);
  return info?.state.messages ?? 0;
}

async function lastMessage(subject: string) {
  const message = await jsm.streams.getMessage(stream, { last_by_subj: subject });
  if (!message) throw new Error(`no message on ${subject}`);
  return message;
}

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

describe("ingestEvents", () => {
  it("stores an event on its partition subject with Nats-Msg-Id, traceparent, ordering key and received-at", async () => {
    const event = stockEvent({ subject: "SKU-HAPPY", data: { sku: "SKU-HAPPY", quantity: 0, warehouse: "AMS-1" } });
    const before = Date.now();
    expect(await ingestEvents([event], options)).toEqual([{ id: event.id, status: "accepted" }]);

    const subject = eventSubject(layout, "SKU-HAPPY", "stock.changed");
    expect(subject).toBe(`${layout.prefix}.events.${partitionOf("SKU-HAPPY", layout.partitions)}.stock.changed`);
    const stored = await lastMessage(subject);
    expect(stored.header.get("Nats-Msg-Id")).toBe(event.id);
    expect(stored.header.get(ORDERING_KEY_HEADER)).toBe("SKU-HAPPY");
    expect(stored.header.get("traceparent")).toMatch(TRACEPARENT);
    const receivedAt = Date.parse(stored.header.get(RECEIVED_AT_HEADER));
    expect(receivedAt).toBeGreaterThanOrEqual(before - 1);
    expect(receivedAt).toBeLessThanOrEqual(Date.now());

    const body = stored.json<Record<string, unknown>>();
    expect(body).toEqual({ ...event, time: stored.header.get(RECEIVED_AT_HEADER), traceparent: stored.header.get("traceparent") });
  });

  it("keeps the event's own traceparent and time, else uses the request's traceparent", async () => {
    const own = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const fromHeader = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const withOwn = stockEvent({ traceparent: own, time: "2026-03-12T10:00:00+01:00" });
    const without = stockEvent();
    await ingestEvents([withOwn, without], { ...options, traceparent: fromHeader });

    const first = await lastMessage(eventSubject(layout, withOwn.subject, withOwn.type));
    expect(first.header.get("traceparent")).toBe(own);
    expect(first.json<{ time: string; traceparent: string }>()).toMatchObject({ time: "2026-03-12T10:00:00+01:00", traceparent: own });
    const second = await lastMessage(eventSubject(layout, without.subject, without.type));
    expect(second.header.get("traceparent")).toBe(fromHeader);

    // An invalid header starts a new trace instead of failing the request.
    const third = stockEvent();
    await ingestEvents([third], { ...options, traceparent: "garbage" });
    const stored = await lastMessage(eventSubject(layout, third.subject, third.type));
    expect(stored.header.get("traceparent")).toMatch(TRACEPARENT);
    expect(stored.header.get("traceparent")).not.toBe(fromHeader);
  });

  it("answers duplicate for an id re-sent inside the window and stores it once", async () => {
    const event = stockEvent({ subject: "SKU-DUP" });
    const subject = eventSubject(layout, "SKU-DUP", "stock.changed");
    expect(await ingestEvents([event], options)).toEqual([{ id: event.id, status: "accepted" }]);
    expect(await ingestEvents([event], options)).toEqual([{ id: event.id, status: "duplicate" }]);
    // Even with a different body: the id is what identifies an event.
    expect(await ingestEvents([{ ...event, data: { sku: "SKU-DUP", quantity: 99 } }], options)).toEqual([{ id: event.id, status: "duplicate" }]);
    expect(await messagesFor(subject)).toBe(1);
  });

  it("publishes nothing from a batch with one invalid event and names its index and field", async () => {
    const before = await storedMessages();
    const batch = [stockEvent(), stockEvent({ data: { sku: "SKU-X", quantity: "many" } }), stockEvent(), stockEvent({ subject: undefined })];
    const error = await ingestEvents(batch, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IngestValidationError);
    const { issues, message } = error as IngestValidationError;
    expect(message).toBe("2 of 4 events are invalid; none were published.");
    expect(issues).toEqual([
      { path: "1.data.quantity", message: expect.any(String) },
      { path: "3.subject", message: expect.stringMatching(/required.*ordering key/) },
    ]);
    expect(await storedMessages()).toBe(before);
  });

  it("publishes a batch concurrently, keeping the order of each key", async () => {
    const keys = ["SKU-ORD-A", "SKU-ORD-B", "SKU-ORD-C"];
    const batch = Array.from({ length: 300 }, (_, i) => {
      const key = keys[i % keys.length]!;
      return stockEvent({ subject: key, data: { sku: key, quantity: i } });
    });
    const results = await ingestEvents(batch, options);
    expect(results).toEqual(batch.map((e) => ({ id: e.id, status: "accepted" })));

    for (const key of keys) {
      const subject = eventSubject(layout, key, "stock.changed");
      const quantities: number[] = [];
      const info = await jsm.streams.info(stream);
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const message = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
        if (message?.subject !== subject || message.header.get(ORDERING_KEY_HEADER) !== key) continue;
        quantities.push(message.json<{ data: { quantity: number } }>().data.quantity);
      }
      expect(quantities).toHaveLength(100);
      expect(quantities).toEqual([...quantities].sort((a, b) => a - b));
    }
  });

  it("validates custom types against their registered JSON Schema", async () => {
    await database.prisma.eventType.create({
      data: {
        type: "com.acme.return.requested",
        jsonSchema: { type: "object", properties: { orderId: { type: "string" }, quantity: { type: "integer", minimum: 1 } }, required: ["orderId", "quantity"] },
        example: { orderId: "A-1", quantity: 1 },
      },
    });
    registry.invalidate();
    const good = stockEvent({ type: "com.acme.return.requested", subject: "ORDER-1", data: { orderId: "ORDER-1", quantity: 2 } });
    expect(await ingestEvents([good], options)).toEqual([{ id: good.id, status: "accepted" }]);
    expect(await messagesFor(eventSubject(layout, "ORDER-1", "com.acme.return.requested"))).toBe(1);

    const bad = stockEvent({ type: "com.acme.return.requested", subject: "ORDER-2", data: { orderId: "ORDER-2", quantity: 0 } });
    const error = (await ingestEvents([bad], { ...options, indexIssues: false }).catch((e: unknown) => e)) as IngestValidationError;
    expect(error).toBeInstanceOf(IngestValidationError);
    expect(error.issues).toEqual([{ path: "data.quantity", message: expect.stringMatching(/>= ?1/) }]);
  });

  it("refuses unknown types, header-unsafe ids and subjects", async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ type: "com.acme.never.registered" }, "0.type", /unknown event type "com.acme.never.registered" \(register it under Event types\)/],
      [{ subject: " SKU-1" }, "0.subject", /whitespace/],
      [{ id: "abc " }, "0.id", /whitespace/],
      [{ specversion: "0.3" }, "0.specversion", /./],
    ];
    for (const [overrides, path, message] of cases) {
      const error = (await ingestEvents([stockEvent(overrides)], options).catch((e: unknown) => e)) as IngestValidationError;
      expect(error, JSON.stringify(overrides)).toBeInstanceOf(IngestValidationError);
      expect(error.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
    }
  });

  it("recreates the stream when it was deleted behind its back", async () => {
    await ingestEvents([stockEvent()], options);
    await jsm.streams.delete(stream);
    const event = stockEvent();
    expect(await ingestEvents([event], options)).toEqual([{ id: event.id, status: "accepted" }]);
    expect(await storedMessages()).toBe(1);
  });

  it("answers 413-style for an event larger than a NATS message", async () => {
    const big = stockEvent({ data: { sku: "SKU-BIG", quantity: 1 }, padding: "x".repeat(nc.info!.max_payload) });
    const error = await ingestEvents([big], options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IngestTooLargeError);
    expect((error as IngestTooLargeError).issues).toEqual([{ path: "0", message: expect.stringMatching(/max_payload/) }]);
  });
});

describe("ingestEvents while NATS is down", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("answers unavailable when no connection can be made", async () => {
    const port = await findFreePort();
    const nats = () => connectNats(`nats://127.0.0.1:${port}`, { name: "ingest-test-nowhere", timeout: 1_000 });
    const error = await ingestEvents([stockEvent()], { ...options, nats }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IngestUnavailableError);
    expect((error as IngestUnavailableError).message).toMatch(/NATS is unreachable/);
    expect((error as IngestUnavailableError).retryAfterSeconds).toBe(5);
  });

  it("answers unavailable while its server is stopped and accepts again after the restart", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "syncline-ingest-nats-"));
    dirs.push(dir);
    const server = await startNatsServer({ storeDir: dir });
    let own: NatsConnection | undefined;
    try {
      // Like sharedNats: a failed connect is not cached, a live connection reconnects by itself.
      const nats = async () => (own ??= await connectNats(server.url, { name: "ingest-test-own", reconnectTimeWait: 100, reconnectJitter: 0 }));
      const ownLayout = { ...layout, prefix: `${layout.prefix}_own` };
      const opts = { ...options, nats, layout: ownLayout };

      const first = stockEvent();
      expect(await ingestEvents([first], opts)).toEqual([{ id: first.id, status: "accepted" }]);

      await server.stop();
      // Whether it is answered from the connection state or after the publish timeout, the caller
      // gets "unavailable" (a 503 with Retry-After), never a hang or a 500. (No wall-clock asserts.)
      const error = await ingestEvents([stockEvent()], opts).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IngestUnavailableError);
      expect((error as Error).message).toMatch(/NATS/);

      await server.restart();
      const again = stockEvent();
      const deadline = Date.now() + 20_000;
      for (;;) {
        const outcome = await ingestEvents([again], opts).catch((e: unknown) => e);
        if (Array.isArray(outcome)) {
          expect(outcome).toEqual([{ id: again.id, status: "accepted" }]);
          break;
        }
        expect(outcome).toBeInstanceOf(IngestUnavailableError);
        if (Date.now() > deadline) throw outcome;
        await sleep(100);
      }
      // The first event survived the restart in the stream (file store).
      const ownJsm = await jetstreamManager(own!);
      expect((await ownJsm.streams.info(eventsStreamName(ownLayout))).state.messages).toBe(2);
    } finally {
      await own?.close();
      await server.stop();
    }
  }, 60_000);
});
