import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { promisify } from "node:util";
import amqplib from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEventBridge } from "@/server/connectors/aws/testing/fake-eventbridge";
import { FakeEventGrid } from "@/server/connectors/azure/testing/fake-event-grid";
import { closeRabbitPublishers } from "@/server/connectors/rabbitmq/confirm-publisher";
import { createCredential } from "@/server/credentials/credential-store";
import type { FlowDocument } from "@/server/flows/flow-document";
import { setFlowEnabled } from "@/server/flows/flow-store";
import { runtimeStatus } from "@/server/monitoring/runtime-status";
import { waitUntil } from "@/server/testing/wait-until";
import { interleavedStockEvents, startRuntimeFixture, type RuntimeFixture } from "./testing/runtime-fixture";

// Targets are outside systems like the sales channels (docs/decisions/0026-outside-system-health.md):
// when the RabbitMQ broker, the EventBridge bus or the Event Grid topic has an outage, the target
// (its credential) shows down on the monitoring dashboard, the key's later events are held, and
// after the outage everything arrives complete and in per-key order. All real: the fixture's
// nats-server and Postgres, an in-process worker, the RabbitMQ server on this machine, and local
// servers speaking the EventBridge and Event Grid APIs.

const run = promisify(execFile);
const AMQP_URL = process.env.SYNCLINE_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const AWS = { accessKeyId: "AKIDOUTAGE", secretAccessKey: "outage-secret-key" };
const GRID_KEY = "grid-outage-key";
const previousKey = process.env.SYNCLINE_SECRET_KEY;

let fixture: RuntimeFixture;

beforeAll(async () => {
  process.env.SYNCLINE_SECRET_KEY = randomBytes(32).toString("base64");
  fixture = await startRuntimeFixture({ partitions: 2 });
  await fixture.startWorkerInProcess();
}, 120_000);

afterAll(async () => {
  await closeRabbitPublishers();
  await fixture?.close();
  if (previousKey === undefined) delete process.env.SYNCLINE_SECRET_KEY;
  else process.env.SYNCLINE_SECRET_KEY = previousKey;
}, 60_000);

/** trigger:stock.changed → the target node, with quick retries so recovery is seen in milliseconds. */
function targetFlow(name: string, kind: string, config: Record<string, unknown>): FlowDocument {
  return {
    schemaVersion: 1,
    name,
    nodes: [
      { id: "trigger", kind: "trigger:stock.changed", version: 1, config: {}, position: { x: 0, y: 0 } },
      { id: "publish", kind, version: 1, position: { x: 300, y: 0 }, config: { ...config, retry: { attempts: 3, initialBackoffMs: 20, maxBackoffMs: 250, jitter: 0.2 } } },
    ],
    edges: [{ id: "e1", source: "trigger", target: "publish", sourceHandle: "out" }],
    settings: { orderingPolicy: "hold" },
  };
}

async function publishEvents(events: unknown[]) {
  const results = await fixture.publish(events);
  expect(results.every((r) => r.status === "accepted")).toBe(true);
}

/** The target's line on the monitoring dashboard. */
async function targetOnDashboard(credentialId: string) {
  return (await runtimeStatus(fixture.database.prisma)).targets.find((t) => t.credentialId === credentialId);
}

async function waitForTargetDownAndHolding(credentialId: string) {
  await waitUntil(async () => {
    const target = await targetOnDashboard(credentialId);
    return target?.downSince != null && target.heldEvents > 0;
  }, 60_000, "the target shown down and holding events", async () => ({ target: await targetOnDashboard(credentialId), held: await fixture.database.prisma.heldEvent.count() }));
}

/** Per key, the sequence numbers in arrival order with repeats of one idempotency key dropped. */
function perKeyOrder(arrivals: { key: string; seq: number; id: string }[]): Map<string, number[]> {
  const seen = new Set<string>();
  const byKey = new Map<string, number[]>();
  for (const a of arrivals) {
    if (seen.has(a.id)) continue;
    seen.add(a.id);
    byKey.set(a.key, [...(byKey.get(a.key) ?? []), a.seq]);
  }
  return byKey;
}

const PER_KEY = 5;

/**
 * The shared scenario: event 1 of every key arrives while the target is up; the outage starts;
 * events 2..5 are published; the target shows down and holding; the outage ends; all events
 * arrive in order and the target shows healthy again.
 */
async function outageScenario(options: {
  /** The flow under test; switched off at the end so the next test's events do not reach it. */
  flowId: string;
  keyPrefix: string;
  credentialId: string;
  arrivals: () => Promise<{ key: string; seq: number; id: string }[]>;
  startOutage: () => Promise<void>;
  endOutage: () => Promise<void>;
}) {
  const KEYS = [`${options.keyPrefix}-1`, `${options.keyPrefix}-2`];
  const inOrder = Object.fromEntries(KEYS.map((k) => [k, [1, 2, 3, 4, 5]]));
  const events = interleavedStockEvents(KEYS, PER_KEY, randomUUID().slice(0, 8));
  await publishEvents(events.filter((e) => e.data.quantity === 1));
  await waitUntil(async () => perKeyOrder(await options.arrivals()).size === KEYS.length, 60_000, "event 1 of every key delivered");
  expect((await targetOnDashboard(options.credentialId))?.downSince).toBeNull();

  await options.startOutage();
  try {
    await publishEvents(events.filter((e) => e.data.quantity > 1));
    await waitForTargetDownAndHolding(options.credentialId);
    const target = await targetOnDashboard(options.credentialId);
    expect(target?.lastError).toBeTruthy();
    // Nothing after event 1 got through while it was down.
    expect(Object.fromEntries(perKeyOrder(await options.arrivals()))).toEqual(Object.fromEntries(KEYS.map((k) => [k, [1]])));
  } finally {
    await options.endOutage();
  }

  await waitUntil(async () => [...perKeyOrder(await options.arrivals()).values()].flat().length === KEYS.length * PER_KEY, 120_000,
    "every event delivered after the outage", async () => Object.fromEntries(perKeyOrder(await options.arrivals())));
  expect(Object.fromEntries(perKeyOrder(await options.arrivals()))).toEqual(inOrder);
  await waitUntil(async () => (await targetOnDashboard(options.credentialId))?.downSince === null, 30_000, "the target shown up again");
  await waitUntil(async () => (await fixture.database.prisma.heldEvent.count()) === 0, 30_000, "no held events left");
  expect(await fixture.database.prisma.deadLetter.count()).toBe(0);
  await setFlowEnabled(fixture.database.prisma, options.flowId, false);
}

describe("targets marked down on outage, events held in order", () => {
  it("RabbitMQ: the broker's app stops mid-flow, the target shows down and holding, after start_app all arrive in order", async () => {
    const db = fixture.database.prisma;
    const queue = `syncline-target-${randomUUID().slice(0, 8)}`;
    const setup = await amqplib.connect(AMQP_URL);
    await (await setup.createChannel()).assertQueue(queue, { durable: true });
    await setup.close();
    const credentialId = (await createCredential(db, { name: "Shop RabbitMQ", type: "rabbitmq", secret: { url: AMQP_URL } })).id;
    const flowId = await fixture.deployFlow(targetFlow("Stock to RabbitMQ", "action:publish-rabbitmq", {
      credentialId, exchange: "", routingKey: JSON.stringify(queue), body: '{"sku": event.subject, "seq": event.data.quantity}',
    }));

    // Messages are taken off the queue as they come (a restart of the broker app drops non-persistent ones).
    const arrived: { key: string; seq: number; id: string }[] = [];
    const drain = async () => {
      const connection = await amqplib.connect(AMQP_URL).catch(() => null);
      if (!connection) return arrived;
      try {
        const channel = await connection.createChannel();
        for (let message = await channel.get(queue, { noAck: true }); message; message = await channel.get(queue, { noAck: true })) {
          const body = JSON.parse(message.content.toString("utf8")) as { sku: string; seq: number };
          arrived.push({ key: body.sku, seq: body.seq, id: String(message.properties.messageId) });
        }
      } finally {
        await connection.close().catch(() => undefined);
      }
      return arrived;
    };

    try {
      await outageScenario({
        flowId, keyPrefix: "SKU-RMQ-T", credentialId,
        arrivals: drain,
        startOutage: () => run("rabbitmqctl", ["stop_app"], { timeout: 120_000 }).then(() => undefined),
        endOutage: () => run("rabbitmqctl", ["start_app"], { timeout: 120_000 }).then(() => undefined),
      });
    } finally {
      await run("rabbitmqctl", ["start_app"], { timeout: 120_000 }).catch(() => undefined);
      const cleanup = await amqplib.connect(AMQP_URL).catch(() => undefined);
      await cleanup?.createChannel().then((c) => c.deleteQueue(queue)).catch(() => undefined);
      await cleanup?.close().catch(() => undefined);
    }
  }, 420_000);

  it("EventBridge: the bus answers 503, the target shows down and holding, after it recovers all arrive in order", async () => {
    const db = fixture.database.prisma;
    const bus = await new FakeEventBridge(AWS, "eu-central-1").start();
    try {
      const credentialId = (await createCredential(db, { name: "Shop AWS", type: "aws", secret: AWS, settings: { region: "eu-central-1", endpoint: bus.origin } })).id;
      const flowId = await fixture.deployFlow(targetFlow("Stock to EventBridge", "action:put-eventbridge", {
        credentialId, eventBusName: "shop", source: "com.shop.syncline", detail: '{"sku": event.subject, "seq": event.data.quantity}',
      }));
      await outageScenario({
        flowId, keyPrefix: "SKU-EB-T", credentialId,
        arrivals: async () => bus.accepted.map((entry) => {
          const detail = JSON.parse(entry.Detail) as { sku: string; seq: number; syncline: { idempotencyKey: string } };
          return { key: detail.sku, seq: detail.seq, id: detail.syncline.idempotencyKey };
        }),
        startOutage: async () => { bus.outage = { status: 503, body: { __type: "ServiceUnavailableException", message: "Service is unavailable" }, headers: { "content-type": "application/x-amz-json-1.1" } }; },
        endOutage: async () => { bus.outage = null; },
      });
    } finally {
      await bus.stop();
    }
  }, 300_000);

  it("Event Grid: the topic answers 503, the target shows down and holding, after it recovers all arrive in order", async () => {
    const db = fixture.database.prisma;
    const topic = await new FakeEventGrid(GRID_KEY).start();
    try {
      const credentialId = (await createCredential(db, { name: "Shop topic", type: "eventgrid", secret: { accessKey: GRID_KEY }, settings: { endpoint: topic.endpoint } })).id;
      const flowId = await fixture.deployFlow(targetFlow("Stock to Event Grid", "action:publish-eventgrid", {
        credentialId, data: '{"sku": event.subject, "seq": event.data.quantity}',
      }));
      await outageScenario({
        flowId, keyPrefix: "SKU-EG-T", credentialId,
        arrivals: async () => topic.accepted.map((event) => {
          const data = event.data as { sku: string; seq: number };
          return { key: data.sku, seq: data.seq, id: String(event.id) };
        }),
        startOutage: async () => { topic.outage = { status: 503, body: { error: { code: "ServiceUnavailable", message: "The service is unavailable." } } }; },
        endOutage: async () => { topic.outage = null; },
      });
    } finally {
      await topic.stop();
    }
  }, 300_000);
});
