import { expect, type APIRequestContext } from "./fixtures";
import { trpcMutation } from "./trpc";
import { E2E_API_KEY } from "./constants";
import type { RecordingReceiver } from "../server/runtime/testing/recording-receiver";

// Setup for the dead-letter and monitoring specs: a published flow "stock changed → POST to a
// local receiver", and stock events sent through the HTTP API.

const deployed: string[] = [];

/**
 * Every flow here triggers on stock.changed; disabling them after each test keeps one test's
 * events from running (and waiting) in another test's flows.
 */
export async function disableReceiverFlows(request: APIRequestContext) {
  for (const id of deployed.splice(0)) await trpcMutation(request, "flows.setEnabled", { id, enabled: false });
}

export async function sendStock(request: APIRequestContext, events: { id: string; sku: string; quantity: number }[]) {
  const response = await request.post("/api/events", {
    headers: { authorization: `Bearer ${E2E_API_KEY}`, "content-type": "application/cloudevents-batch+json" },
    data: events.map((e) => ({ specversion: "1.0", id: e.id, source: "e2e/erp", type: "stock.changed", subject: e.sku, data: { sku: e.sku, quantity: e.quantity } })),
  });
  expect(response.status(), await response.text()).toBe(202);
}

/**
 * Imports, publishes and enables the flow, then waits until one warm-up event went through it,
 * so the worker knows the flow before the test's own events arrive.
 */
export async function deployReceiverFlow(
  request: APIRequestContext,
  receiver: RecordingReceiver,
  opts: { name: string; orderingPolicy: "hold" | "skip" },
): Promise<string> {
  const document = {
    schemaVersion: 1,
    name: opts.name,
    nodes: [
      { id: "trigger", kind: "trigger:stock.changed", version: 1, config: {}, position: { x: 0, y: 0 } },
      {
        id: "deliver", kind: "action:http-request", version: 1, position: { x: 300, y: 0 },
        config: {
          method: "POST", url: `${receiver.url}/stock`, body: '{"sku": event.subject, "seq": event.data.quantity}', timeoutMs: 2000,
          retry: { attempts: 1, initialBackoffMs: 20, maxBackoffMs: 200, jitter: 0 },
        },
      },
    ],
    edges: [{ id: "e1", source: "trigger", target: "deliver", sourceHandle: "out" }],
    settings: { orderingPolicy: opts.orderingPolicy },
  };
  const { id } = await trpcMutation<{ id: string }>(request, "flows.import", { document });
  deployed.push(id);
  await trpcMutation(request, "flows.publish", { id });
  await trpcMutation(request, "flows.setEnabled", { id, enabled: true });
  const warmSku = `WARM-${id.slice(0, 8)}`;
  await expect(async () => {
    await sendStock(request, [{ id: `warm-${id}-${Date.now()}`, sku: warmSku, quantity: 1000 }]);
    await receiver.waitFor(() => receiver.effects.some((e) => e.body.sku === warmSku), 2_000, "the warm-up event");
  }).toPass({ timeout: 30_000 });
  return id;
}
