import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { E2E_ADMIN_EMAIL, E2E_API_KEY } from "./constants";
import { expect, expectAxeClean, test } from "./fixtures";
import { trpcMutation, trpcQuery } from "./trpc";

// A template that syncs to channels, made the way a new user would: the New flow dialog asks
// which of their channels each sync step uses (one made in place), the flow has no problems,
// publishes, and a stock event runs it to success against a local webhook receiver.

const auth = { authorization: `Bearer ${E2E_API_KEY}` };
test.describe.configure({ timeout: 180_000 });

async function startReceiver(): Promise<{ url: string; bodies: unknown[]; server: Server }> {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8") || "null"));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server };
}

test("a template flow asks for your channels, publishes and runs", async ({ page, request }) => {
  const receiver = await startReceiver();
  try {
    const suffix = randomUUID().slice(0, 6);
    const credentialName = `Receiver secret ${suffix}`;
    const credential = await trpcMutation<{ id: string }>(request, "credentials.create", { name: credentialName, type: "webhook", secret: { signingSecret: `whsec-${suffix}` } });
    const existing = `Existing hook ${suffix}`;
    await trpcMutation(request, "channels.create", { name: existing, type: "webhook", credentialId: credential.id, settings: { url: `${receiver.url}/existing` } });

    await page.goto("/");
    await page.getByRole("button", { name: /new flow/i }).first().click();
    const dialog = page.getByRole("dialog", { name: "New flow" });
    const flowName = `Sold out ${suffix}`;
    await dialog.getByLabel("Name").fill(flowName);
    await dialog.getByLabel("Out of stock on every channel").check();
    const refs = dialog.getByTestId("template-references");
    await expect(refs.getByRole("combobox")).toHaveCount(5);
    await expectAxeClean(page, "new flow dialog with a template");

    // The first step gets a channel made in place; it is selected once created.
    const created = `Made here ${suffix}`;
    const firstPicker = refs.getByRole("combobox").first();
    await refs.getByRole("button", { name: /New channel/ }).first().click();
    const channelDialog = page.getByRole("dialog", { name: "New channel" });
    await channelDialog.getByLabel("Name").fill(created);
    await channelDialog.getByLabel("Type").selectOption("webhook");
    await channelDialog.getByLabel("Credential").selectOption({ label: credentialName });
    await channelDialog.getByLabel("URL").fill(`${receiver.url}/made-here`);
    await expectAxeClean(page, "new channel dialog opened from the new flow dialog");
    await channelDialog.getByRole("button", { name: "Create" }).click();
    await expect(channelDialog).toBeHidden();
    await expect(firstPicker.locator("option:checked")).toHaveText(`${created} (webhook)`);

    // The other four use the existing one.
    for (let i = 1; i < 5; i++) await refs.getByRole("combobox").nth(i).selectOption({ label: `${existing} (webhook)` });
    await dialog.getByRole("button", { name: "Create" }).click();

    await expect(page.getByTestId("canvas")).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId("problems-panel")).toContainText("No problems");
    await expect(page).toHaveTitle(`${flowName} · Syncline`);
    await page.getByTestId("publish-button").click();
    await expect(page.getByText("v1 published")).toBeVisible();
    await page.getByRole("switch", { name: "Enabled" }).click();
    await expect(page.getByRole("switch", { name: "Enabled" })).toHaveAttribute("aria-checked", "true");
    await expectAxeClean(page, "template flow in the editor");

    // History says who published the version.
    await page.getByRole("button", { name: "History" }).click();
    const history = page.getByTestId("history-panel");
    await expect(history).toContainText("Version 1");
    await expect(history).toContainText("First version");
    await expect(history).toContainText(`by ${E2E_ADMIN_EMAIL}`);
    await page.getByRole("button", { name: "Restore version 1" }).click();
    await expect(page.getByRole("dialog", { name: "Restore version 1?" })).toContainText("keeps its current name");
    await expectAxeClean(page, "history panel and restore dialog");
    await page.getByRole("dialog", { name: "Restore version 1?" }).getByRole("button", { name: "Cancel" }).click();

    const flowId = new URL(page.url()).pathname.split("/").pop()!;
    const sku = `SKU-${suffix}`;
    const sent = await request.post("/api/events", {
      headers: { ...auth, "Content-Type": "application/cloudevents+json" },
      data: { specversion: "1.0", id: randomUUID(), source: "e2e", type: "stock.changed", subject: sku, data: { sku, quantity: 0 } },
    });
    expect(sent.status()).toBe(202);
    await expect
      .poll(async () => (await trpcQuery<{ runs: { status: string }[] }>(request, "runs.search", { key: sku, flowId })).runs.map((r) => r.status), { timeout: 60_000 })
      .toEqual(["succeeded"]);
    // One call per sync step: one to the channel made in place, four to the existing one.
    expect(receiver.bodies).toHaveLength(5);

    await page.goto(`/runs?flow=${flowId}`);
    await expect(page.getByRole("row").filter({ hasText: flowName })).toContainText("Succeeded");
  } finally {
    receiver.server.close();
  }
});
