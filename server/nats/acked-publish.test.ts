import { randomBytes } from "node:crypto";
import { jetstreamManager, JetStreamApiError } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { headerLayout, publishAcked, publishAckedAll } from "./acked-publish";
import { connectNats } from "./connection";
import { isJetStreamUnavailable, isNatsTimeout } from "./nats-errors";

// The ingest's PubAck publisher (docs/decisions/0032) against the real NATS server: what it
// resolves and rejects with must read like js.publish's, because ingest's error handling
// (server/events/ingest.ts, server/nats/nats-errors.ts) tells outages from bad events by it.

const url = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const prefix = `ackpub_${randomBytes(4).toString("hex")}`;
let nc: NatsConnection;

const withId = (id: string) => {
  const h = headers();
  h.set("Nats-Msg-Id", id);
  return h;
};
const bytes = (text: string) => new TextEncoder().encode(text);

beforeAll(async () => {
  nc = await connectNats(url, { name: prefix });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: prefix, subjects: [`${prefix}.stored.>`], duplicate_window: 60_000_000_000 });
});

afterAll(async () => {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(prefix).catch(() => {});
  await nc.close();
});

describe("publishAcked", () => {
  it("resolves with the stream's PubAck, and duplicate for an id inside the window", async () => {
    const first = await publishAcked(nc, `${prefix}.stored.a`, bytes("one"), withId("e-1"), 5_000);
    expect(first).toMatchObject({ stream: prefix, seq: 1, duplicate: false });
    const again = await publishAcked(nc, `${prefix}.stored.a`, bytes("one"), withId("e-1"), 5_000);
    expect(again).toMatchObject({ stream: prefix, seq: 1, duplicate: true });
    // Many at once, each answered with its own ack, in the order published.
    const acks = await Promise.all(Array.from({ length: 200 }, (_, i) => publishAcked(nc, `${prefix}.stored.b`, bytes(String(i)), withId(`m-${i}`), 5_000)));
    expect(acks.map((a) => a.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 2));
  });

  it("rejects with no responders (JetStream unavailable) when no stream listens on the subject", async () => {
    const error = await publishAcked(nc, `${prefix}.nowhere`, bytes("x"), withId("n-1"), 5_000).catch((e: unknown) => e);
    expect(isJetStreamUnavailable(error)).toBe(true);
  });

  it("rejects with the stream's API error, and with a timeout when nothing answers", async () => {
    const expectStream = withId("x-1");
    expectStream.set("Nats-Expected-Stream", "another-stream");
    const refused = await publishAcked(nc, `${prefix}.stored.c`, bytes("x"), expectStream, 5_000).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(JetStreamApiError);
    // A plain subscriber takes the message and never answers.
    const silent = nc.subscribe(`${prefix}.silent`);
    const timedOut = await publishAcked(nc, `${prefix}.silent`, bytes("x"), withId("t-1"), 300).catch((e: unknown) => e);
    silent.unsubscribe();
    expect(isNatsTimeout(timedOut)).toBe(true);
  });

  it("rejects what nc.publish refuses, such as a message over max_payload", async () => {
    const huge = new Uint8Array((nc.info?.max_payload ?? 1_048_576) + 1);
    await expect(publishAcked(nc, `${prefix}.stored.d`, huge, withId("h-1"), 5_000)).rejects.toThrow(/max_payload/i);
  });
});

describe("publishAckedAll", () => {
  it("answers every message of a batch in its slot: the stored ones with their PubAck, a refused one with its error", async () => {
    const messages = [
      { subject: `${prefix}.stored.all`, payload: bytes("a"), headers: withId("all-1") },
      { subject: `${prefix}.nowhere.all`, payload: bytes("b"), headers: withId("all-2") },
      { subject: `${prefix}.stored.all`, payload: bytes("c"), headers: withId("all-1") },
      { subject: `${prefix}.stored.all`, payload: bytes("d"), headers: withId("all-3") },
    ];
    const [first, refused, again, last] = await publishAckedAll(nc, messages, 5_000);
    expect(first).toMatchObject({ stream: prefix, duplicate: false });
    expect(isJetStreamUnavailable(refused)).toBe(true);
    expect(again).toMatchObject({ stream: prefix, duplicate: true, seq: (first as { seq: number }).seq });
    // Published in order: the last one is stored after the first.
    expect((last as { seq: number }).seq).toBe((first as { seq: number }).seq + 1);
    expect(await publishAckedAll(nc, [], 5_000)).toEqual([]);
  });
});

describe("headerLayout", () => {
  it("writes exactly what nats.js's headers() with the same set() calls writes, and reads back like it", async () => {
    const names = ["traceparent", "Syncline-Ordering-Key", "Nats-Msg-Id"];
    const values = ["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "  SKU-1 ", "layout-1"];
    const written = headerLayout(names)(values);
    const byNats = headers();
    names.forEach((name, i) => byNats.set(name, values[i]!));
    const encode = (h: unknown) => new TextDecoder().decode((h as { encode(): Uint8Array }).encode());
    expect(encode(written)).toBe(encode(byNats));
    expect(written.get("Syncline-Ordering-Key")).toBe("SKU-1");
    expect(written.keys()).toEqual(names);

    const ack = await publishAcked(nc, `${prefix}.stored.layout`, bytes("x"), written, 5_000);
    const jsm = await jetstreamManager(nc);
    const stored = await jsm.streams.getMessage(prefix, { seq: ack.seq });
    expect(stored?.header.get("Nats-Msg-Id")).toBe("layout-1");
    expect(stored?.header.get("Syncline-Ordering-Key")).toBe("SKU-1");
  });

  it("refuses what nats.js refuses: a bad header name, a value with a line break", () => {
    expect(() => headerLayout(["Bad:Name"])).toThrow(/not a valid character/);
    expect(() => headerLayout(["Nats-Msg-Id"])(["a\r\nb"])).toThrow(/cannot contain/);
  });
});
