import { createHmac } from "node:crypto";
import { expect, test, type APIRequestContext, type Locator, type Page } from "./fixtures";
import { trpcMutation } from "./trpc";
import { E2E_API_KEY } from "./constants";
import { FakeWebhookReceiver } from "../server/connectors/channels/testing/fake-webhook";

// Issue #4 §6: a credential and a channel made in the UI, used by a flow, and the channel's health
// following its server: healthy after a delivery, down (holding updates) while the receiver is
// stopped, healthy again once it is back, with the held update delivered after the first one.

// The bootstrap key e2e/serve.ts gives the app (importing it from there would start a second server).

const TRIGGER = "trigger:stock.changed";
const ACTION = "action:sync-channel";


async function sendStockChanged(request: APIRequestContext, id: string, sku: string, quantity: number) {
  const response = await request.post("/api/events", {
    headers: { authorization: `Bearer ${E2E_API_KEY}` },
    data: { specversion: "1.0", id, source: "e2e/channel-health", type: "stock.changed", subject: sku, data: { sku, quantity, warehouse: "AMS-1" } },
  });
  expect(response.status(), await response.text()).toBe(202);
}

/** The channels page refreshes every 10 s; reload so each check sees the latest health. */
async function expectHealth(page: Page, row: Locator, text: RegExp) {
  await expect(async () => {
    await page.reload();
    await expect(row.getByTestId("channel-health")).toHaveText(text, { timeout: 2_000 });
  }).toPass({ timeout: 60_000, intervals: [500, 1_000, 2_000] });
}

let receiver: FakeWebhookReceiver | undefined;
test.afterEach(async () => {
  await receiver?.stop();
});

test("a channel made in the UI goes down and comes back, and its held update arrives in order", async ({ page }) => {
  test.setTimeout(240_000);
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const credentialName = `Health hook secret ${suffix}`;
  const channelName = `Health hook ${suffix}`;
  const signingSecret = `whsec-health-${suffix}`;
  const sku = `SKU-HEALTH-${suffix}`;

  receiver = await new FakeWebhookReceiver(signingSecret).start();
  const hookUrl = `${receiver.baseUrl}/hooks/syncline`;

  // The credential, in Settings.
  await page.goto("/settings");
  const credentials = page.getByRole("region", { name: "Credentials" });
  await credentials.getByRole("button", { name: "Add credential" }).click();
  let dialog = page.getByRole("dialog", { name: "Add credential" });
  await dialog.getByLabel("Name").fill(credentialName);
  await dialog.getByLabel("Type").selectOption("webhook");
  await dialog.getByLabel("Signing secret (HMAC-SHA256)").fill(signingSecret);
  await dialog.getByRole("button", { name: "Add" }).click();
  await expect(dialog).toBeHidden();
  await expect(credentials.getByTestId("credential-row").filter({ hasText: credentialName })).toContainText("•••• set");

  // The channel, on the Channels page, pointing at the receiver.
  await page.goto("/channels");
  await page.getByRole("button", { name: "New channel" }).click();
  dialog = page.getByRole("dialog", { name: "New channel" });
  await dialog.getByLabel("Name").fill(channelName);
  await dialog.getByLabel("Type").selectOption("webhook");
  await dialog.getByLabel("Credential").selectOption({ label: credentialName });
  await dialog.getByLabel("URL").fill(hookUrl);
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog).toBeHidden();
  const channelRow = page.getByTestId("channel-row").filter({ hasText: channelName });
  await expect(channelRow).toContainText(credentialName);
  await expect(channelRow.getByTestId("channel-health")).toHaveText("No calls yet");

  // The flow, built in the editor: stock changed → sync to the channel (update-stock).
  const { id: flowId } = await trpcMutation<{ id: string }>(page.request, "flows.create", { name: `Channel health ${suffix}` });
  await page.goto(`/flows/${flowId}`);
  await expect(page.getByTestId("canvas")).toBeVisible();
  await expect(page.getByTestId("save-status")).toHaveText("Saved");
  await page.getByTestId(`palette-item-${TRIGGER}`).click();
  await page.getByTestId(`palette-item-${ACTION}`).click();
  await expect(page.locator(`[data-testid^="node-"][data-kind="${ACTION}"]`)).toHaveCount(1);
  await expect(page.getByTestId(/^rf__edge-/)).toHaveCount(1);
  const panel = page.getByTestId("config-panel");
  await expect(panel.getByRole("heading", { name: "Sync to channel" })).toBeVisible();
  // The Channel field is a picker listing channels by name.
  await panel.getByLabel("Channel", { exact: true }).selectOption({ label: `${channelName} (webhook)` });
  await panel.getByLabel("Operation", { exact: true }).selectOption("update-stock");
  await expect(page.getByTestId("problems-panel")).toContainText("No problems");
  await page.getByTestId("save-button").click();
  await expect(page.getByTestId("save-status")).toHaveText("Saved");
  await expect(page.getByTestId("publish-button")).toBeEnabled();
  await page.getByTestId("publish-button").click();
  await expect(page.getByText("Published version 1")).toBeVisible();
  const enabled = page.getByRole("switch", { name: "Enabled" });
  await enabled.click();
  await expect(enabled).toHaveAttribute("aria-checked", "true");
  await expect(page.getByText("Enabled: version 1 now runs on new events")).toBeVisible();

  // First update: delivered, and the channel is healthy with a last success.
  await page.goto("/channels");
  await expect(channelRow.getByTestId("channel-health")).toHaveText("No calls yet");
  await sendStockChanged(page.request, `evt-health-1-${suffix}`, sku, 5);
  await expect.poll(() => receiver!.deliveries.length, { timeout: 30_000 }).toBe(1);
  await expectHealth(page, channelRow, /^Healthy$/);
  await expect(channelRow.getByRole("cell").nth(4)).not.toHaveText("—");

  // The receiver goes down: the next update is held and the channel shows as down.
  await receiver.stop();
  await sendStockChanged(page.request, `evt-health-2-${suffix}`, sku, 0);
  await expectHealth(page, channelRow, /Down since .+holding updates/);
  await expect(channelRow.getByRole("cell").nth(5)).not.toHaveText("—");
  expect(receiver.deliveries).toHaveLength(1);

  // Back on the same port: the held update arrives and the channel is healthy again.
  await receiver.start();
  expect(receiver.baseUrl).toBe(new URL(hookUrl).origin);
  await expect.poll(() => receiver!.deliveries.length, { timeout: 120_000 }).toBe(2);
  await expectHealth(page, channelRow, /^Healthy$/);

  // Both updates, in order, each signed with the credential's secret.
  const seen = new Set<string>();
  const accepted = receiver.requests.filter((r) => {
    const expected = `sha256=${createHmac("sha256", signingSecret).update(r.body).digest("hex")}`;
    const key = String(r.headers["idempotency-key"]);
    if (r.headers["x-syncline-signature"] !== expected || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  expect(accepted.map((r) => (r.json as { operation: string; sku: string; data: { quantity: number } }))).toEqual([
    expect.objectContaining({ operation: "update-stock", sku, data: expect.objectContaining({ quantity: 5 }) }),
    expect.objectContaining({ operation: "update-stock", sku, data: expect.objectContaining({ quantity: 0 }) }),
  ]);
  expect(receiver.deliveries.map((d) => d.operation)).toEqual(["update-stock", "update-stock"]);
  expect(receiver.products.get(sku)).toMatchObject({ quantity: 0 });
});
