import { createHmac, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, expectAxeClean, test } from "./fixtures";
import { E2E_API_KEY } from "./constants";
import { trpcMutation } from "./trpc";

// Triggers in the browser against the real app, worker, Postgres and NATS: a webhook flow whose
// URL is copied from the inspector and called signed, a schedule's preview, and a flow list that
// refuses to enable what was never published. Every page visited is scanned with axe.

const auth = { authorization: `Bearer ${E2E_API_KEY}` };

// axe over the whole editor takes most of a minute on a busy 2-core machine.
test.describe.configure({ timeout: 180_000 });

/** A local system the flow's HTTP step delivers to. */
async function startReceiver(): Promise<{ url: string; bodies: unknown[]; server: Server }> {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server };
}

test("a webhook flow: copy its URL from the inspector, call it signed, see the run", async ({ page, request, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const receiver = await startReceiver();
  try {
    const secret = `whsec-${randomUUID()}`;
    const credential = await trpcMutation<{ id: string }>(request, "credentials.create", { name: "ERP webhook secret", type: "webhook", secret: { signingSecret: secret } });
    const path = `erp-${randomUUID().slice(0, 8)}`;
    const document = {
      schemaVersion: 1, name: "ERP webhook", settings: { orderingPolicy: "hold" },
      nodes: [
        { id: "hook", kind: "trigger:webhook", version: 1, position: { x: 0, y: 0 }, config: { path, secretCredentialId: credential.id, orderingKey: "event.data.body.sku" } },
        { id: "deliver", kind: "action:http-request", version: 1, position: { x: 320, y: 0 }, config: { method: "POST", url: `${receiver.url}/erp`, body: '{"sku": event.data.body.sku}' } },
      ],
      edges: [{ id: "e1", source: "hook", target: "deliver" }],
    };
    const imported = await request.post("/api/flows/import", { headers: auth, data: document });
    expect(imported.status()).toBe(201);
    const { id } = (await imported.json()) as { id: string };
    const published = await request.post(`/api/flows/${id}/publish`, { headers: auth, data: { enable: true } });
    expect(await published.json()).toEqual({ id, version: 1, enabled: true });

    await page.goto(`/flows/${id}`);
    await expect(page.getByTestId("canvas")).toBeVisible({ timeout: 30_000 });
    await page.getByTestId("node-hook").click();
    const panel = page.getByTestId("config-panel");
    await expect(panel.getByTestId("webhook-url")).toHaveText(new RegExp(`/api/hooks/${path}$`));
    await expect(panel.getByTestId("webhook-curl")).toContainText("X-Syncline-Signature");
    await panel.getByRole("button", { name: "Copy webhook URL" }).click();
    await expect(panel.getByRole("button", { name: "Copy webhook URL" })).toHaveText("Copied");
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/api/hooks/${path}$`));
    await expectAxeClean(page);

    const unsigned = await request.post(copied, { data: { sku: "SKU-E2E" } });
    expect(unsigned.status()).toBe(401);

    const body = JSON.stringify({ sku: "SKU-E2E" });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
    const call = await request.post(copied, {
      headers: { "content-type": "application/json", "x-syncline-timestamp": timestamp, "x-syncline-signature": signature },
      data: body,
    });
    expect(call.status()).toBe(202);
    expect(((await call.json()) as { status: string }).status).toBe("accepted");

    // The run, as the automation API reports it.
    await expect
      .poll(async () => {
        const runs = (await (await request.get(`/api/runs?flow=${id}`, { headers: auth })).json()) as { runs: { status: string; subject?: string; orderingKey?: string }[] };
        return runs.runs.map((r) => r.status);
      }, { timeout: 30_000 })
      .toEqual(["succeeded"]);
    expect(receiver.bodies).toEqual([{ sku: "SKU-E2E" }]);
  } finally {
    receiver.server.close();
  }
});

test("a schedule trigger explains its cron expression and lists the next five runs", async ({ page, request }) => {
  const document = {
    schemaVersion: 1, name: "Nightly prices", settings: { orderingPolicy: "hold" }, edges: [],
    nodes: [{ id: "nightly", kind: "trigger:schedule", version: 1, position: { x: 0, y: 0 }, config: { cron: "0 2 * * *", timezone: "Europe/Amsterdam" } }],
  };
  const { id } = (await (await request.post("/api/flows/import", { headers: auth, data: document })).json()) as { id: string };
  await page.goto(`/flows/${id}`);
  await expect(page.getByTestId("canvas")).toBeVisible({ timeout: 30_000 });
  await page.getByTestId("node-nightly").click();
  const panel = page.getByTestId("config-panel");
  await expect(panel.getByRole("heading", { name: /At 02:00/ })).toBeVisible();
  const runs = panel.getByRole("list", { name: "Next five runs" }).getByRole("listitem");
  await expect(runs).toHaveCount(5);
  await expect(runs.first()).toContainText("02:00:00");
  await panel.getByLabel("Cron expression").fill("*/15 * * * * *");
  await expect(panel.getByRole("heading", { name: /Every 15 seconds/ })).toBeVisible();
  await expectAxeClean(page);
});

test("enabling a flow that was never published is refused from the list with a clear message", async ({ page, request }) => {
  const name = `Draft only ${randomUUID().slice(0, 6)}`;
  await trpcMutation<{ id: string }>(request, "flows.create", { name });
  await page.goto("/");
  const toggle = page.getByRole("switch", { name: `Enable ${name}` });
  await expect(toggle).not.toBeChecked();
  await toggle.click();
  await expect(page.getByText(/never been published.*publish it first, then enable it/)).toBeVisible();
  await expect(toggle).not.toBeChecked();
  await expectAxeClean(page);
});
