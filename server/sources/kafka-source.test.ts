import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaWireServer } from "@/server/connectors/kafka/testing/kafka-wire-server";
import { assertInOrderComplete, startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture } from "@/server/runtime/testing/runtime-fixture";
import { waitUntil } from "@/server/testing/wait-until";
import { createSource, getSource } from "./source-store";
import { SOURCE_LETTER_PARTITION } from "./source-dead-letters";

// A Kafka source end to end: the fixture's own nats-server and Postgres database, an in-process
// worker whose source runner consumes the topic as a consumer group with kafkajs, and a local
// receiver as the outside system. The broker is the local Kafka wire-protocol server
// (server/connectors/kafka/testing/kafka-wire-server.ts): no Kafka broker can be installed from the
// registries this machine reaches (docs/decisions/0025-kafka-source-and-target.md).

const TOPIC = "erp.stock";
const GROUP = "syncline-test";
process.env.SYNCLINE_SECRET_KEY = Buffer.alloc(32, 11).toString("base64");

let broker: KafkaWireServer;
let fixture: RuntimeFixture;
let sourceId: string;
let producer: Producer;

/** Produces with a real kafkajs producer; the key picks the partition (murmur2, as Java clients do). */
async function produce(messages: { key: string | null; value: unknown }[]) {
  return producer.send({
    topic: TOPIC,
    messages: messages.map((m) => ({ key: m.key, value: typeof m.value === "string" ? m.value : JSON.stringify(m.value) })),
  });
}

const committedTotal = () => [0, 1, 2].reduce((sum, p) => sum + (broker.committedOffset(GROUP, TOPIC, p) ?? 0n), 0n);
const highTotal = () => [0, 1, 2].reduce((sum, p) => sum + broker.highWatermark(TOPIC, p), 0n);

beforeAll(async () => {
  broker = new KafkaWireServer({ topics: { [TOPIC]: 3 } });
  await broker.start();
  producer = new Kafka({ brokers: broker.brokers, clientId: "test-producer", logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 } })
    .producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();

  fixture = await startRuntimeFixture({ partitions: 4 });
  sourceId = (await createSource(fixture.database.prisma, {
    name: "ERP stock topic",
    kind: "kafka",
    settings: { brokers: broker.brokers.join(","), topic: TOPIC, groupId: GROUP },
    // No ordering key: the Kafka key. No id: topic/partition/offset.
    mapping: { type: '"stock.changed"' },
  })).id;
  await fixture.deployFlow(stockToReceiverFlow(fixture.receiver.url));
  await fixture.startWorkerInProcess();
}, 120_000);

afterAll(async () => {
  await producer?.disconnect().catch(() => undefined);
  await fixture?.close();
  await broker?.close();
}, 120_000);

describe("Kafka source", () => {
  it("defaults the ordering key to the Kafka key and shows the source connected once it joined the group", async () => {
    const source = await getSource(fixture.database.prisma, sourceId);
    expect(source.mapping.orderingKey).toBe("event.data.key");
    await waitUntil(async () => (await getSource(fixture.database.prisma, sourceId)).connected, 30_000, "the source to be connected");
    expect(broker.memberCount(GROUP)).toBe(1);
  });

  it("carries 500 messages on 20 keys across 3 partitions complete and in per-key order, through a broker restart", async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `SKU-KAFKA-${i}`);
    const perKey = 25;
    const messages = [];
    for (let seq = 1; seq <= perKey; seq++) for (const sku of keys) messages.push({ key: sku, value: { sku, quantity: seq } });
    await produce(messages.slice(0, 250));
    // The keys spread over all three partitions.
    expect([0, 1, 2].every((p) => broker.highWatermark(TOPIC, p) > 0n)).toBe(true);

    const delivered = () => fixture.receiver.effects.filter((e) => e.body.sku.startsWith("SKU-KAFKA-")).length;
    await fixture.receiver.waitFor(() => delivered() >= 60, 120_000, "the first 60 deliveries");
    // Mid-stream the broker goes away (every connection closed) and comes back with its log and
    // committed offsets; the rest is produced once it is back.
    await broker.stop();
    await waitUntil(async () => !(await getSource(fixture.database.prisma, sourceId)).connected, 60_000, "the source to show the lost connection");
    expect(delivered()).toBeLessThan(500);
    await broker.start();
    await produce(messages.slice(250));

    await fixture.receiver.waitFor(() => delivered() >= 500, 240_000, "all 500 deliveries");
    assertInOrderComplete(fixture.receiver.effectsByKey(), keys, perKey);
    expect(delivered()).toBe(500);
    await waitUntil(async () => (await fixture.database.prisma.run.count({ where: { orderingKey: { startsWith: "SKU-KAFKA-" }, status: "succeeded" } })) === 500, 60_000, "500 runs, one per message");
    // Every offset committed after its PubAck, and the lag the Sources page shows goes to 0.
    await waitUntil(async () => committedTotal() === highTotal(), 30_000, "the group's offsets to reach the end of the log");
    await waitUntil(async () => (await getSource(fixture.database.prisma, sourceId)).connected, 60_000, "the source to reconnect");
    await waitUntil(async () => (await getSource(fixture.database.prisma, sourceId)).lag === 0, 30_000, "the source's lag to be 0",
      async () => { const s = await getSource(fixture.database.prisma, sourceId); return { lag: s.lag, lastError: s.lastError }; });
    expect((await getSource(fixture.database.prisma, sourceId)).lastMessageAt).not.toBeNull();
  }, 420_000);

  it("takes a message in again when the consumer dies between the PubAck and the offset commit, and runs it once", async () => {
    const before = broker.commitsApplied;
    broker.killAtOffsetCommit(1);
    const [sent] = await produce([{ key: "SKU-KILL", value: { sku: "SKU-KILL", quantity: 1 } }]);
    const partition = sent!.partition;
    const offset = BigInt(sent!.baseOffset!);
    // The commit is lost with the connection; the restarted consumer gets the message again from the
    // committed offset, publishes it again (same event id), and JetStream drops the repeat.
    await waitUntil(async () => broker.committedOffset(GROUP, TOPIC, partition) === offset + 1n, 120_000, "the offset to be committed after the restart");
    expect(broker.timesFetched(TOPIC, partition, offset)).toBeGreaterThanOrEqual(2);
    expect(broker.commitsApplied).toBeGreaterThan(before);
    await fixture.receiver.waitFor(() => fixture.receiver.effects.some((e) => e.body.sku === "SKU-KILL"), 60_000, "the delivery");
    const eventId = `source:${sourceId}:${TOPIC}/${partition}/${offset}`;
    await waitUntil(async () => (await fixture.database.prisma.run.count({ where: { eventId, status: "succeeded" } })) === 1, 30_000, "the run");
    // One more message behind it shows the worker has passed it: still one run and one delivery.
    await produce([{ key: "SKU-KILL", value: { sku: "SKU-KILL", quantity: 2 } }]);
    await fixture.receiver.waitFor(() => fixture.receiver.effects.filter((e) => e.body.sku === "SKU-KILL").length >= 2, 60_000, "the message behind it");
    expect(await fixture.database.prisma.run.count({ where: { eventId } })).toBe(1);
    expect(fixture.receiver.effectsByKey().get("SKU-KILL")).toEqual([1, 2]);
  }, 240_000);

  it("puts a message that is not a valid event in the dead-letter inbox with its raw body, and goes on", async () => {
    const raw = '{"sku":"SKU-KBAD-1","quantity":"many"}';
    await produce([{ key: "SKU-KBAD-1", value: raw }, { key: "SKU-KBAD-1", value: { sku: "SKU-KBAD-1", quantity: 1 } }]);
    await fixture.receiver.waitFor(() => fixture.receiver.effects.some((e) => e.body.sku === "SKU-KBAD-1"), 60_000, "the message behind the invalid one");
    const letter = await fixture.database.prisma.deadLetter.findFirstOrThrow({ where: { flowId: `source:${sourceId}` } });
    expect(letter.partition).toBe(SOURCE_LETTER_PARTITION);
    expect(letter.eventType).toBe("stock.changed");
    expect(letter.orderingKey).toBe("SKU-KBAD-1");
    expect(letter.error).toMatch(/quantity/);
    expect((letter.event as { raw: string }).raw).toBe(raw);
    expect(fixture.receiver.effectsByKey().get("SKU-KBAD-1")).toEqual([1]);
    await waitUntil(async () => (await getSource(fixture.database.prisma, sourceId)).lastError?.includes("quantity") ?? false, 10_000, "the source's last error");
  }, 90_000);

  it("commits no offset while the event cannot be stored (NATS down), and commits it once stored", async () => {
    const before = (await getSource(fixture.database.prisma, sourceId)).lastErrorAt?.getTime() ?? 0;
    await fixture.nats.stop();
    const [sent] = await produce([{ key: "SKU-NATS", value: { sku: "SKU-NATS", quantity: 1 } }]);
    const partition = sent!.partition;
    const offset = BigInt(sent!.baseOffset!);
    // The consumer has the message and fails to store it (the source's last error says so) ...
    await waitUntil(async () => broker.timesFetched(TOPIC, partition, offset) >= 1, 30_000, "the consumer to fetch the message");
    await waitUntil(async () => ((await getSource(fixture.database.prisma, sourceId)).lastErrorAt?.getTime() ?? 0) > before, 60_000, "the failed take-in to show");
    // ... and its offset stays uncommitted.
    expect(broker.committedOffset(GROUP, TOPIC, partition) ?? 0n).toBeLessThanOrEqual(offset);
    await fixture.nats.restart();
    await waitUntil(async () => broker.committedOffset(GROUP, TOPIC, partition) === offset + 1n, 120_000, "the offset to be committed once stored");
    await fixture.receiver.waitFor(() => fixture.receiver.effects.some((e) => e.body.sku === "SKU-NATS"), 120_000, "the delivery");
  }, 300_000);
});
