import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import amqplib from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredential } from "@/server/credentials/credential-store";
import { assertInOrderComplete, startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture } from "@/server/runtime/testing/runtime-fixture";
import { waitUntil } from "@/server/testing/wait-until";
import { createSource, getSource } from "./source-store";
import { SOURCE_LETTER_PARTITION } from "./source-dead-letters";
import { listDeadLetters, requestRedrive } from "@/server/history/dead-letter-store";
import { inboxDetail, listInbox } from "@/server/history/dead-letter-inbox";

// A RabbitMQ source end to end, all real: the RabbitMQ server on this machine (127.0.0.1:5672,
// guest/guest), the fixture's own nats-server and Postgres database, an in-process worker that
// consumes the queue and runs the flow, and a local receiver as the outside system.

const run = promisify(execFile);
const KEY = Buffer.alloc(32, 9);
process.env.SYNCLINE_SECRET_KEY = KEY.toString("base64");
const AMQP_URL = process.env.SYNCLINE_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

let fixture: RuntimeFixture;
let sourceId: string;
const queue = `syncline-test-${randomUUID().slice(0, 8)}`;

/** Publishes with confirms on a fresh connection (the broker restart closes old ones). */
async function publish(messages: { body: unknown; messageId: string }[]) {
  const publisher = await amqplib.connect(AMQP_URL);
  const confirm = await publisher.createConfirmChannel();
  for (const m of messages) {
    confirm.sendToQueue(queue, Buffer.from(typeof m.body === "string" ? m.body : JSON.stringify(m.body)), {
      persistent: true, messageId: m.messageId, contentType: "application/json",
    });
  }
  await confirm.waitForConfirms();
  await publisher.close();
}

async function rabbitmqctl(command: string) {
  await run("rabbitmqctl", [command], { timeout: 120_000 });
}

beforeAll(async () => {
  const setup = await amqplib.connect(AMQP_URL);
  await (await setup.createChannel()).assertQueue(queue, { durable: true });
  await setup.close();

  fixture = await startRuntimeFixture({ partitions: 4 });
  const credential = await createCredential(fixture.database.prisma, { name: "Local RabbitMQ", type: "rabbitmq", secret: { url: AMQP_URL } }, { key: KEY });
  sourceId = (await createSource(fixture.database.prisma, {
    name: "ERP stock queue",
    kind: "rabbitmq",
    credentialId: credential.id,
    settings: { queue, prefetch: 100 },
    mapping: { type: '"stock.changed"', orderingKey: "event.data.body.sku" },
  })).id;
  await fixture.deployFlow(stockToReceiverFlow(fixture.receiver.url));
  await fixture.startWorkerInProcess();
}, 120_000);

afterAll(async () => {
  await fixture?.close();
  // The broker may still be starting if a test failed half-way through the restart.
  await rabbitmqctl("start_app").catch(() => undefined);
  const cleanup = await amqplib.connect(AMQP_URL).catch(() => undefined);
  if (cleanup) {
    const channel = await cleanup.createChannel();
    await channel.deleteQueue(queue).catch(() => undefined);
    await cleanup.close().catch(() => undefined);
  }
}, 180_000);

describe("RabbitMQ source", () => {
  it("shows the source connected once the worker consumes the queue", async () => {
    await waitUntil(async () => (await getSource(fixture.database.prisma, sourceId)).connected, 30_000, "the source to be connected");
  });

  it("carries 1,000 messages on 50 keys to the receiver complete and in per-key order, through a broker restart", async () => {
    const keys = Array.from({ length: 50 }, (_, i) => `SKU-RMQ-${i}`);
    const perKey = 20;
    const messages = [];
    for (let seq = 1; seq <= perKey; seq++) for (const sku of keys) messages.push({ body: { sku, quantity: seq }, messageId: `${sku}-${seq}` });
    await publish(messages);

    const delivered = () => fixture.receiver.effects.filter((e) => e.body.sku.startsWith("SKU-RMQ-")).length;
    await fixture.receiver.waitFor(() => delivered() >= 100, 120_000, "the first 100 deliveries");
    // Mid-run: the broker stops (connections closed, unacknowledged messages back in the queue) and comes back.
    await rabbitmqctl("stop_app");
    await waitUntil(async () => !(await getSource(fixture.database.prisma, sourceId)).connected, 30_000, "the source to show the lost connection");
    const duringOutage = delivered();
    expect(duringOutage).toBeLessThan(1000);
    await rabbitmqctl("start_app");

    await fixture.receiver.waitFor(() => delivered() >= 1000, 240_000, "all 1,000 deliveries", );
    assertInOrderComplete(fixture.receiver.effectsByKey(), keys, perKey);
    expect(delivered()).toBe(1000);
    const source = await getSource(fixture.database.prisma, sourceId);
    expect(source.lastMessageAt).not.toBeNull();
    await waitUntil(async () => (await getSource(fixture.database.prisma, sourceId)).connected, 60_000, "the source to reconnect");
    await waitUntil(async () => (await fixture.database.prisma.run.count({ where: { orderingKey: { startsWith: "SKU-RMQ-" }, status: "succeeded" } })) === 1000, 60_000, "1,000 runs, one per message");
  }, 420_000);

  it("puts a message that is not a valid event in the dead-letter inbox with its raw body, and goes on", async () => {
    const raw = '{"sku":"SKU-BAD-1","quantity":"many"}';
    await publish([{ body: raw, messageId: "bad-1" }, { body: { sku: "SKU-AFTER-BAD", quantity: 1 }, messageId: "after-bad-1" }]);
    await fixture.receiver.waitFor(() => fixture.receiver.effects.some((e) => e.body.sku === "SKU-AFTER-BAD"), 60_000, "the message behind the invalid one");
    const letter = await fixture.database.prisma.deadLetter.findFirstOrThrow({ where: { flowId: `source:${sourceId}` } });
    expect(letter.partition).toBe(SOURCE_LETTER_PARTITION);
    expect(letter.eventType).toBe("stock.changed");
    expect(letter.orderingKey).toBe("SKU-BAD-1");
    expect(letter.error).toMatch(/quantity/);
    expect((letter.event as { raw: string }).raw).toBe(raw);
    expect(fixture.receiver.effects.some((e) => e.body.sku === "SKU-BAD-1")).toBe(false);
    // The inbox names the source and its kind (not `source:<id>`): in the list, its filter and the detail, and in the API's output.
    const db = fixture.database.prisma;
    const source = { id: sourceId, name: "ERP stock queue", kind: "rabbitmq", kindLabel: "RabbitMQ queue" };
    const inbox = await listInbox(db, { flowId: `source:${sourceId}` });
    expect(inbox.groups).toEqual([expect.objectContaining({ flowName: "ERP stock queue (RabbitMQ queue source)", source, orderingKey: "SKU-BAD-1" })]);
    expect(inbox.groups[0]!.letters[0]).toMatchObject({ id: letter.id, source });
    expect(inbox.facets.flows).toContainEqual({ id: `source:${sourceId}`, name: "ERP stock queue (RabbitMQ queue source)" });
    expect((await inboxDetail(db, letter.id, "events")).letter).toMatchObject({ source, flowName: "ERP stock queue (RabbitMQ queue source)" });
    const api = await listDeadLetters(db, { flowId: `source:${sourceId}` });
    expect(api.deadLetters.map((i) => [i.id, i.flowName])).toEqual([[letter.id, "ERP stock queue (RabbitMQ queue source)"]]);
    // No worker owns it: a redrive is refused with what to do instead.
    await expect(requestRedrive(fixture.database.prisma, letter.id, {}, { notify: async () => {} })).rejects.toThrow(/never became an event/);
    await waitUntil(async () => (await getSource(fixture.database.prisma, sourceId)).lastError?.includes("quantity") ?? false, 10_000, "the source's last error");
  }, 90_000);
});
