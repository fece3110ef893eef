import { randomBytes } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { ensureEventsStream, eventsStreamName, eventSubject, partitionOf } from "./stream-layout";

// The partition of a key must never change between releases, processes or languages: a changed
// hash would send a key's new events to another partition than its queued ones and break its
// order. The expected values are fixed, not computed with the code under test: the first three
// are the published 32-bit FNV-1a test vectors (Landon Curt Noll's FNV test suite), the others were
// computed by hand with a separate implementation.

describe("partitionOf (32-bit FNV-1a over the key's UTF-8 bytes)", () => {
  it("matches the published FNV-1a vectors when nothing is folded away", () => {
    expect(partitionOf("", 2 ** 32)).toBe(0x811c9dc5);
    expect(partitionOf("a", 2 ** 32)).toBe(0xe40c292c);
    expect(partitionOf("foobar", 2 ** 32)).toBe(0xbf9cf968);
  });

  it("hashes UTF-8 bytes, not UTF-16 code units", () => {
    expect(partitionOf("Größe-42", 2 ** 32)).toBe(0xa5907d33);
  });

  it("takes the hash modulo the partition count", () => {
    expect([partitionOf("", 8), partitionOf("a", 8), partitionOf("foobar", 8), partitionOf("SKU-001", 8)]).toEqual([5, 4, 0, 4]);
    expect([partitionOf("a", 16), partitionOf("foobar", 16), partitionOf("Größe-42", 16)]).toEqual([12, 8, 3]);
  });

  it("puts the partition into the subject events are published on", () => {
    const layout = { prefix: "syncline", partitions: 16, duplicateWindowMs: 120_000 };
    expect(eventSubject(layout, "a", "stock.changed")).toBe("syncline.events.12.stock.changed");
    expect(eventSubject(layout, "foobar", "com.acme return/requested")).toBe("syncline.events.8.com.acme_return_requested");
  });
});

describe("ensureEventsStream (against the local NATS server)", () => {
  it("creates the stream when it is missing and updates its limits when they changed", async () => {
    const layout = { prefix: `t${randomBytes(4).toString("hex")}`, partitions: 4, duplicateWindowMs: 60_000 };
    const nc = await connect({ servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222" });
    const jsm = await jetstreamManager(nc);
    try {
      expect(await ensureEventsStream(jsm, layout, 3_600_000)).toBe(eventsStreamName(layout));
      expect((await jsm.streams.info(eventsStreamName(layout))).config.max_age).toBe(3_600_000 * 1_000_000);
      await ensureEventsStream(jsm, layout, 7_200_000);
      expect((await jsm.streams.info(eventsStreamName(layout))).config.max_age).toBe(7_200_000 * 1_000_000);
    } finally {
      await jsm.streams.delete(eventsStreamName(layout)).catch(() => undefined);
      await nc.close();
    }
  });
});
