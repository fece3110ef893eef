import { expect, test } from "./fixtures";
import { trpcMutation } from "./trpc";
import { RecordingReceiver } from "../server/runtime/testing/recording-receiver";

// The editor's Test event button against the real app, worker, NATS and a local receiver: a
// generated sample in a dry run paints the steps green and shows the request that was not sent;
// the same in live mode reaches the receiver. The flow is never published or enabled.

let receiver: RecordingReceiver;
test.beforeAll(async () => {
  receiver = new RecordingReceiver();
  await receiver.start();
});
test.afterAll(async () => {
  await receiver.stop();
});

test("Test event: a dry run shows the would-be request, a live run calls the receiver", async ({ page }) => {
  const document = {
    schemaVersion: 1,
    name: `Try the draft ${Date.now().toString(36)}`,
    nodes: [
      { id: "trigger", kind: "trigger:stock.changed", version: 1, config: {}, position: { x: 0, y: 0 } },
      {
        id: "deliver", kind: "action:http-request", version: 1, position: { x: 320, y: 0 },
        config: {
          method: "POST", url: `${receiver.url}/stock`, body: '{"sku": event.subject, "seq": event.data.quantity}', timeoutMs: 2000,
          headers: { Authorization: "Bearer sk_live_do_not_show" },
          retry: { attempts: 1, initialBackoffMs: 20, maxBackoffMs: 200, jitter: 0 },
        },
      },
    ],
    edges: [{ id: "e1", source: "trigger", target: "deliver", sourceHandle: "out" }],
    settings: { orderingPolicy: "hold" },
  };
  const { id } = await trpcMutation<{ id: string }>(page.request, "flows.import", { document });
  await page.goto(`/flows/${id}`);
  // The editor bundle is large; on a busy machine its first load takes a while (as in auth.spec.ts).
  await expect(page.getByTestId("canvas")).toBeVisible({ timeout: 30_000 });

  await page.getByRole("button", { name: "Test event", exact: true }).click();
  const panel = page.getByTestId("test-event-panel");
  const editor = panel.getByRole("textbox", { name: "Test event (subject and data)" });
  // A generated sample of the trigger's type: a SKU and a quantity.
  await expect(editor).toContainText(/"sku": "SKU-\d{4}"/);
  await expect(editor).toContainText(/"quantity": \d+/);
  await expect(panel.getByRole("radio", { name: "Dry run" })).toBeChecked();
  await page.screenshot({ path: "/tmp/test-event-panel.png" });

  await panel.getByRole("button", { name: "Send" }).click();
  await expect(page.getByTestId("test-outcome-trigger")).toHaveAttribute("data-status", "succeeded");
  await expect(page.getByTestId("test-outcome-deliver")).toHaveAttribute("data-status", "succeeded");
  await expect(page.getByTestId("test-outcome-deliver")).toContainText(/Test succeeded · \d/);
  expect(receiver.requests).toBe(0);

  // The step's output is the request it would have sent, secret masked.
  await page.getByTestId("node-deliver").click();
  const detail = page.getByTestId("test-step-detail");
  await expect(detail.getByText("Would-be request (not sent)")).toBeVisible();
  const output = page.getByTestId("test-step-output");
  await expect(output).toContainText(`${receiver.url}/stock`);
  await expect(output).toContainText("POST");
  await expect(output).toContainText("idempotency-key");
  await expect(output).not.toContainText("sk_live_do_not_show");
  await page.screenshot({ path: "/tmp/test-event-dry.png" });

  // Live: the receiver gets the call.
  await panel.getByText("Live", { exact: true }).click();
  await expect(panel.getByRole("radio", { name: "Live" })).toBeChecked();
  await panel.getByRole("button", { name: "Send" }).click();
  await expect(panel.getByText("Live test")).toBeVisible();
  await expect(page.getByTestId("test-outcome-deliver")).toHaveAttribute("data-status", "succeeded");
  await receiver.waitFor(() => receiver.effects.length === 1, 15_000, "the live test's call");
  expect(receiver.effects[0]!.body.sku).toMatch(/^SKU-\d{4}$/);
  await expect(output).toContainText(/status\W+200/);

  // The full run detail, marked as a test run.
  const link = panel.getByRole("link", { name: "Open run detail" });
  const href = await link.getAttribute("href");
  await page.goto(href!);
  await expect(page.locator(".badge", { hasText: /^test$/ })).toBeVisible();
  await page.screenshot({ path: "/tmp/test-event-run-detail.png" });
});

test("Event types: Test event sends a sample through every enabled flow of a custom type, as a dry run", async ({ page }) => {
  const type = `com.acme.return${Date.now().toString(36)}.requested`;
  await trpcMutation(page.request, "eventTypes.create", {
    type,
    description: "A customer asked to return an item",
    jsonSchema: { type: "object", required: ["sku", "quantity"], properties: { sku: { type: "string" }, quantity: { type: "integer", minimum: 1 } } },
    example: { sku: "SKU-1", quantity: 1 },
  });
  const document = {
    schemaVersion: 1,
    name: `Returns ${type}`,
    nodes: [
      { id: "trigger", kind: "trigger:custom-event", version: 1, config: { eventType: type }, position: { x: 0, y: 0 } },
      {
        id: "deliver", kind: "action:http-request", version: 1, position: { x: 320, y: 0 },
        config: { method: "POST", url: `${receiver.url}/returns`, body: '{"sku": event.data.sku, "seq": event.data.quantity}', timeoutMs: 2000, retry: { attempts: 1, initialBackoffMs: 20, maxBackoffMs: 200, jitter: 0 } },
      },
    ],
    edges: [{ id: "e1", source: "trigger", target: "deliver", sourceHandle: "out" }],
    settings: { orderingPolicy: "hold" },
  };
  const { id } = await trpcMutation<{ id: string }>(page.request, "flows.import", { document });
  await trpcMutation(page.request, "flows.publish", { id });
  await trpcMutation(page.request, "flows.setEnabled", { id, enabled: true });
  const before = receiver.requests;

  await page.goto("/event-types");
  await page.getByRole("button", { name: `Test event: ${type}` }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByRole("textbox", { name: "Test event (subject and data)" })).toContainText(/"sku": "SKU-\d{4}"/);
  await dialog.getByRole("button", { name: "Send" }).click();
  await expect(dialog.getByTestId("test-event-runs")).toContainText("Started 1 test run");
  await page.screenshot({ path: "/tmp/test-event-types.png" });
  await dialog.getByRole("link", { name: `Returns ${type}` }).click();
  await expect(page.locator(".badge", { hasText: /^test$/ })).toBeVisible();
  await expect(page.getByText("Succeeded").first()).toBeVisible();
  expect(receiver.requests).toBe(before);
  await trpcMutation(page.request, "flows.setEnabled", { id, enabled: false });
});
