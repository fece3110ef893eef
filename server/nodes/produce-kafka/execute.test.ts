import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaWireServer } from "@/server/connectors/kafka/testing/kafka-wire-server";
import { closeKafkaProducers } from "@/server/connectors/kafka/kafka-producer";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { executionContext } from "../testing/execution-context";
import { produceKafkaNode } from "./definition";
import { produceKafkaExecutor } from "./execute";
import { recordOutboundCalls } from "@/server/outbound/dry-run";

// Against the local Kafka wire-protocol server (server/connectors/kafka/testing/): the message
// lands in the topic with the key from the expression, once even when the producer has to send it
// again; an unknown topic or a too-large message fails for good, a broker that is down for now.

const PRODUCE = 0;
let broker: KafkaWireServer;

beforeAll(async () => {
  broker = new KafkaWireServer({ topics: { "syncline.stock": 3 }, maxBatchBytes: 4_096 });
  await broker.start();
});

afterAll(async () => {
  await closeKafkaProducers();
  await broker?.close();
});

const context = (config: Record<string, unknown>, data: Record<string, unknown> = { sku: "SKU-1", quantity: 3, warehouse: "AMS" }) =>
  executionContext(produceKafkaNode, { brokers: broker.brokers.join(","), topic: "syncline.stock", key: "event.data.sku", ...config }, {
    event: { specversion: "1.0", id: `evt-${String(data.sku)}`, type: "stock.changed", source: "test", subject: String(data.sku), data },
    services: { httpAllowlist: [] },
  });

describe("produce to Kafka", () => {
  it("produces the value to the topic with the key from the expression, the traceparent and the idempotency key", async () => {
    const ctx = context({ value: '{"sku": event.data.sku, "qty": event.data.quantity}' });
    const result = await produceKafkaExecutor.execute(ctx);
    const stored = (await broker.records("syncline.stock")).filter((r) => r.key === "SKU-1");
    expect(stored).toHaveLength(1);
    expect(JSON.parse(stored[0]!.value!)).toEqual({ sku: "SKU-1", qty: 3 });
    expect(stored[0]!.headers.traceparent).toBe(ctx.traceparent);
    expect(stored[0]!.headers["syncline-idempotency-key"]).toBe(ctx.idempotencyKey);
    expect(result.output).toEqual({ topic: "syncline.stock", key: "SKU-1", partition: stored[0]!.partition, offset: stored[0]!.offset.toString() });
  });

  it("in a dry run produces nothing and records the produce it would make", async () => {
    const ctx = context({}, { sku: "SKU-DRY", quantity: 1, warehouse: "AMS" });
    const { requests } = await recordOutboundCalls(() => produceKafkaExecutor.execute(ctx));
    expect((await broker.records("syncline.stock")).filter((r) => r.key === "SKU-DRY")).toHaveLength(0);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: "PRODUCE", idempotencyKey: ctx.idempotencyKey, body: { sku: "SKU-DRY", quantity: 1, warehouse: "AMS" } });
    expect(requests[0]!.url).toContain("/syncline.stock?key=SKU-DRY");
  });

  it("stores a message once when its answer is lost and the producer sends it again", async () => {
    const sendsBefore = broker.requestCounts.get(PRODUCE) ?? 0;
    broker.dropProduceResponses(1);
    await produceKafkaExecutor.execute(context({}, { sku: "SKU-RETRIED", quantity: 1 }));
    expect((broker.requestCounts.get(PRODUCE) ?? 0) - sendsBefore).toBeGreaterThanOrEqual(2);
    expect((await broker.records("syncline.stock")).filter((r) => r.key === "SKU-RETRIED")).toHaveLength(1);
  });

  it("fails for good on an unknown topic and on a message larger than the broker takes", async () => {
    await expect(produceKafkaExecutor.execute(context({ topic: "no.such.topic" }))).rejects.toThrow(PermanentError);
    await expect(produceKafkaExecutor.execute(context({ topic: "no.such.topic" }))).rejects.toThrow(/does not exist/);
    const large = { sku: "SKU-LARGE", text: "x".repeat(10_000) };
    await expect(produceKafkaExecutor.execute(context({}, large))).rejects.toThrow(/larger than the topic accepts/);
    expect((await broker.records("syncline.stock")).some((r) => r.key === "SKU-LARGE")).toBe(false);
  }, 60_000);

  it("says the system is down while the broker is away, and produces again once it is back", async () => {
    await broker.stop();
    const failure = await produceKafkaExecutor.execute(context({}, { sku: "SKU-OUTAGE", quantity: 1 })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TransientError);
    expect((failure as TransientError).systemDown).toBe(true);
    await broker.start();
    await produceKafkaExecutor.execute(context({}, { sku: "SKU-OUTAGE", quantity: 1 }));
    expect((await broker.records("syncline.stock")).filter((r) => r.key === "SKU-OUTAGE")).toHaveLength(1);
  }, 60_000);
});
