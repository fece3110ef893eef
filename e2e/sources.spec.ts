import { randomUUID } from "node:crypto";
import amqplib from "amqplib";
import { Kafka, logLevel } from "kafkajs";
import { KafkaWireServer } from "../server/connectors/kafka/testing/kafka-wire-server";
import { expect, expectAxeClean, test, type Page } from "./fixtures";
import { E2E_API_KEY } from "./constants";
import { trpcMutation, trpcQuery } from "./trpc";

// A RabbitMQ source in the browser against the real app, worker, Postgres, NATS and the RabbitMQ
// server on this machine: create it in Settings → Sources, see it connect, publish a message to
// the queue, and find the flow's run in Runs.

const AMQP_URL = process.env.SYNCLINE_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const auth = { authorization: `Bearer ${E2E_API_KEY}` };

test.describe.configure({ timeout: 180_000 });

test("a RabbitMQ source: create it in Settings, publish to its queue, see the run in Runs", async ({ page, request }) => {
  const queue = `e2e-stock-${randomUUID().slice(0, 8)}`;
  const setup = await amqplib.connect(AMQP_URL);
  const channel = await setup.createConfirmChannel();
  await channel.assertQueue(queue, { durable: false, autoDelete: false });
  const sourceName = `ERP stock ${randomUUID().slice(0, 4)}`;
  try {
    const credentialName = `RabbitMQ ${randomUUID().slice(0, 4)}`;
    await trpcMutation(request, "credentials.create", { name: credentialName, type: "rabbitmq", secret: { url: AMQP_URL } });
    const flowName = `Queue stock ${randomUUID().slice(0, 6)}`;
    const document = {
      schemaVersion: 1, name: flowName, settings: { orderingPolicy: "hold" },
      nodes: [
        { id: "trigger", kind: "trigger:stock.changed", version: 1, position: { x: 0, y: 0 }, config: {} },
        { id: "shape", kind: "action:transform", version: 1, position: { x: 320, y: 0 }, config: {} },
      ],
      edges: [{ id: "e1", source: "trigger", target: "shape" }],
    };
    const imported = await request.post("/api/flows/import", { headers: auth, data: document });
    expect(imported.status(), await imported.text()).toBe(201);
    const { id: flowId } = (await imported.json()) as { id: string };
    expect((await request.post(`/api/flows/${flowId}/publish`, { headers: auth, data: { enable: true } })).status()).toBe(200);

    await page.goto("/settings");
    await page.getByRole("link", { name: "Sources" }).click();
    await expect(page.getByRole("heading", { name: "Sources" })).toBeVisible();
    await page.getByRole("button", { name: "New source" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name").fill(sourceName);
    await dialog.getByLabel("Connection").selectOption({ label: credentialName });
    await dialog.getByLabel("Queue").fill(queue);
    await dialog.getByLabel("Event type").fill('"stock.changed"');
    await dialog.getByLabel("Ordering key").fill("event.data.body.sku");
    await expectAxeClean(page);
    await page.screenshot({ path: "/tmp/backbone-sources-form.png" });
    await dialog.getByRole("button", { name: "Create" }).click();
    await expect(dialog).toBeHidden();

    const row = page.getByTestId("source-row").filter({ hasText: sourceName });
    await expect(row).toContainText(queue);
    // The worker picks new sources up within a few seconds and reports the connection.
    await expect(row.getByTestId("source-health")).toHaveText("Connected", { timeout: 60_000 });
    await expectAxeClean(page);

    const sku = `SKU-Q-${randomUUID().slice(0, 6)}`;
    channel.sendToQueue(queue, Buffer.from(JSON.stringify({ sku, quantity: 7 })), { messageId: `e2e-${sku}`, contentType: "application/json" });
    await channel.waitForConfirms();
    await expect(row.getByTestId("source-last-message")).not.toHaveText("—", { timeout: 30_000 });
    await page.screenshot({ path: "/tmp/backbone-sources-list.png", fullPage: true });

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Runs" }).click();
    await expect(page.getByRole("heading", { name: "Runs" })).toBeVisible({ timeout: 30_000 });
    const run = page.getByTestId("run-row").filter({ hasText: flowName }).filter({ hasText: sku });
    await expect(run).toHaveCount(1, { timeout: 60_000 });
    await expect(run).toContainText("Succeeded", { timeout: 30_000 });

    await trpcMutation(request, "flows.setEnabled", { id: flowId, enabled: false });
  } finally {
    // Delete the source with its queue: a source left behind keeps the worker trying to consume a
    // queue that no longer exists (a QueueDeclare 404 in its log) for as long as the e2e database lives.
    const ours = async () => (await trpcQuery<{ id: string; name: string }[]>(request, "sources.list")).filter((s) => s.name === sourceName);
    for (const source of await ours()) await trpcMutation(request, "sources.delete", { id: source.id });
    expect(await ours()).toEqual([]);
    await channel.deleteQueue(queue).catch(() => undefined);
    await setup.close().catch(() => undefined);
  }
});

// The Kafka broker is the local wire-protocol server (no Kafka broker installs from the registries
// this machine reaches; docs/decisions/0025-kafka-source-and-target.md), started by the test; the
// app's worker joins the consumer group.
test("a Kafka source: create it in Settings without a credential, see it connect, its first message and a lag of 0", async ({ page }) => {
  const topic = `e2e.stock.${randomUUID().slice(0, 6)}`;
  const broker = new KafkaWireServer({ topics: { [topic]: 3 } });
  await broker.start();
  const producer = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await page.goto("/settings/sources");
    await expect(page.getByRole("heading", { name: "Sources" })).toBeVisible();
    await page.getByRole("button", { name: "New source" }).click();
    const dialog = page.getByRole("dialog");
    const sourceName = `Kafka stock ${randomUUID().slice(0, 4)}`;
    await dialog.getByLabel("Name").fill(sourceName);
    await dialog.getByLabel("Kind").selectOption({ label: "Kafka topic (consumer group)" });
    await expect(dialog.getByLabel("Connection")).toHaveValue("");
    await dialog.getByLabel("Brokers (host:port, comma-separated)").fill("not a broker");
    await dialog.getByLabel("Topic").fill(topic);
    await dialog.getByLabel("Consumer group id").fill(`e2e-${randomUUID().slice(0, 6)}`);
    await dialog.getByLabel("Event type").fill('"stock.changed"');
    await expect(dialog.getByLabel("Ordering key")).toHaveAttribute("placeholder", /event\.data\.key/);
    await dialog.getByRole("button", { name: "Create" }).click();
    // Bad input is answered in words beside the field, not with a failure page.
    await expect(dialog.getByText(/host:port/).first()).toBeVisible();
    await dialog.getByLabel("Brokers (host:port, comma-separated)").fill(broker.brokers.join(","));
    await expectAxeClean(page);
    await dialog.getByRole("button", { name: "Create" }).click();
    await expect(dialog).toBeHidden();

    const row = page.getByTestId("source-row").filter({ hasText: sourceName });
    await expect(row).toContainText(topic);
    await expect(row.getByTestId("source-health")).toHaveText("Connected", { timeout: 60_000 });
    await producer.connect();
    await producer.send({ topic, messages: [{ key: "SKU-K-1", value: JSON.stringify({ sku: "SKU-K-1", quantity: 2 }) }] });
    await expect(row.getByTestId("source-last-message")).not.toHaveText("—", { timeout: 30_000 });
    await expect(row.getByTestId("source-lag")).toHaveText("0", { timeout: 30_000 });
    await expectAxeClean(page);
  } finally {
    await producer.disconnect().catch(() => undefined);
    await broker.close();
  }
});
