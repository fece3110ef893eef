import { randomUUID } from "node:crypto";
import amqplib from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { createCredential } from "@/server/credentials/credential-store";
import { closeRabbitPublishers } from "@/server/connectors/rabbitmq/confirm-publisher";
import { PermanentError } from "@/server/outbound/execution-errors";
import { executionContext } from "../testing/execution-context";
import { publishRabbitmqNode } from "./definition";
import { publishRabbitmqExecutor } from "./execute";
import { recordOutboundCalls } from "@/server/outbound/dry-run";

// Against the RabbitMQ server on this machine (127.0.0.1:5672, guest/guest): the message reaches
// the queue with message_id = the step's idempotency key, and a missing exchange fails for good.

const KEY = Buffer.alloc(32, 5);
process.env.SYNCLINE_SECRET_KEY = KEY.toString("base64");
const AMQP_URL = process.env.SYNCLINE_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

let database: TestDatabase;
let credentialId: string;
let admin: amqplib.ChannelModel;
let channel: amqplib.Channel;
const exchange = `syncline-test-x-${randomUUID().slice(0, 8)}`;
const queue = `syncline-test-q-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  database = await createTestDatabase();
  credentialId = (await createCredential(database.prisma, { name: "RabbitMQ", type: "rabbitmq", secret: { url: AMQP_URL } }, { key: KEY })).id;
  admin = await amqplib.connect(AMQP_URL);
  channel = await admin.createChannel();
  await channel.assertExchange(exchange, "topic", { durable: false, autoDelete: false });
  await channel.assertQueue(queue, { durable: false });
  await channel.bindQueue(queue, exchange, "stock.#");
}, 60_000);

afterAll(async () => {
  await closeRabbitPublishers();
  await channel?.deleteQueue(queue).catch(() => undefined);
  await channel?.deleteExchange(exchange).catch(() => undefined);
  await admin?.close().catch(() => undefined);
  await database?.drop();
});

const context = (config: Record<string, unknown>) =>
  executionContext(publishRabbitmqNode, { credentialId, exchange, routingKey: '"stock." & event.data.warehouse', ...config }, {
    event: { specversion: "1.0", id: "evt-1", type: "stock.changed", source: "test", subject: "SKU-1", data: { sku: "SKU-1", quantity: 3, warehouse: "AMS" } },
    services: { httpAllowlist: [], db: database.prisma },
  });

describe("publish to RabbitMQ", () => {
  it("publishes the message, confirmed, with the routing key from the expression and message_id = the idempotency key", async () => {
    const ctx = context({ body: '{"sku": event.data.sku, "qty": event.data.quantity}' });
    const result = await publishRabbitmqExecutor.execute(ctx);
    expect(result.output).toEqual({ exchange, routingKey: "stock.AMS", messageId: ctx.idempotencyKey });
    // Confirmed before execute resolved: the message is already in the queue.
    const message = await channel.get(queue, { noAck: true });
    expect(message).not.toBe(false);
    if (!message) return;
    expect(JSON.parse(message.content.toString("utf8"))).toEqual({ sku: "SKU-1", qty: 3 });
    expect(message.properties.messageId).toBe(ctx.idempotencyKey);
    expect(message.fields.routingKey).toBe("stock.AMS");
  });

  it("in a dry run publishes nothing and records the publish it would make, password masked", async () => {
    const ctx = context({});
    const { requests } = await recordOutboundCalls(() => publishRabbitmqExecutor.execute(ctx));
    expect(await channel.get(queue, { noAck: true })).toBe(false);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: "PUBLISH", idempotencyKey: ctx.idempotencyKey, body: { sku: "SKU-1", quantity: 3, warehouse: "AMS" } });
    expect(requests[0]!.url).toContain(`exchange=${exchange}`);
    expect(requests[0]!.url).toContain("routingKey=stock.AMS");
    expect(requests[0]!.url).not.toContain("guest:guest");
  });

  it("fails permanently when the exchange does not exist, and publishes again afterwards", async () => {
    await expect(publishRabbitmqExecutor.execute(context({ exchange: `${exchange}-missing` }))).rejects.toBeInstanceOf(PermanentError);
    await publishRabbitmqExecutor.execute(context({}));
    expect(await channel.get(queue, { noAck: true })).not.toBe(false);
  });
});
