import { randomUUID } from "node:crypto";
import { expect, expectAxeClean, test, type APIRequestContext, type Page } from "./fixtures";
import { E2E_API_KEY } from "./constants";
import { trpcMutation, trpcQuery } from "./trpc";

// Run history as a person uses it: events sent with the HTTP API, found from the top bar, filtered
// by SKU, opened, watched arriving live, and traced by key. Every wait is for something on screen.

const auth = { Authorization: `Bearer ${E2E_API_KEY}` };
const screenshots = "test-results/screens";

async function deployStockFlow(request: APIRequestContext, name: string): Promise<string> {
  const document = {
    schemaVersion: 1,
    name,
    nodes: [
      { id: "trigger", kind: "trigger:stock.changed", version: 1, config: {}, position: { x: 0, y: 0 } },
      { id: "sum", kind: "action:transform", version: 1, config: { fields: '{"sku": event.data.sku, "double": event.data.quantity * 2}' }, position: { x: 280, y: 0 } },
    ],
    edges: [{ id: "e1", source: "trigger", target: "sum", sourceHandle: "out" }],
    settings: { orderingPolicy: "hold" },
  };
  const imported = await request.post("/api/flows/import", { headers: auth, data: document });
  expect(imported.status()).toBe(201);
  const { id } = (await imported.json()) as { id: string };
  expect((await request.post(`/api/flows/${id}/publish`, { headers: auth })).status()).toBe(200);
  await trpcMutation(request, "flows.setEnabled", { id, enabled: true });
  // The worker picks up a newly enabled flow on its next catalog refresh; an event published
  // before that does not reach the flow. Send warm-up events until one of them ran.
  const warmUp = `WARMUP-${id}`;
  await expect
    .poll(async () => {
      if ((await runsOf(request, id, warmUp)) > 0) return true;
      await sendStock(request, warmUp, 0);
      return false;
    }, { timeout: 60_000, intervals: [500, 1_000, 2_000] })
    .toBe(true);
  return id;
}

async function sendStock(request: APIRequestContext, sku: string, quantity: number) {
  const response = await request.post("/api/events", {
    headers: { ...auth, "Content-Type": "application/cloudevents+json" },
    data: { specversion: "1.0", id: randomUUID(), source: "e2e", type: "stock.changed", subject: sku, data: { sku, quantity } },
  });
  expect(response.status()).toBe(202);
}

// Other specs' flows may listen to stock.changed too: count and show only this test's flow.
async function runsOf(request: APIRequestContext, flowId: string, sku: string, status = "succeeded") {
  const { runs } = await trpcQuery<{ runs: { id: string; status: string }[] }>(request, "runs.search", { key: sku, flowId });
  return runs.filter((r) => r.status === status).length;
}

async function screenshotAtWidths(page: Page, name: string) {
  for (const width of [1280, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${screenshots}/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

test("finds a SKU's runs from the top bar, opens one and reads its waterfall and a step's output", async ({ page }) => {
  test.setTimeout(150_000);
  const flowName = `Stock summary ${randomUUID().slice(0, 6)}`;
  const flowId = await deployStockFlow(page.request, flowName);
  const sku = `SKU-${randomUUID().slice(0, 6)}`;
  const other = `SKU-${randomUUID().slice(0, 6)}`;
  await sendStock(page.request, sku, 21);
  await sendStock(page.request, other, 5);
  await expect.poll(async () => (await runsOf(page.request, flowId, sku)) + (await runsOf(page.request, flowId, other)), { timeout: 30_000 }).toBe(2);

  await page.goto("/");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Runs" }).click();
  await expect(page).toHaveURL(/\/runs$/);
  await expect(page.getByRole("heading", { name: "Runs" })).toBeVisible({ timeout: 30_000 });
  const ours = page.getByTestId("run-row").filter({ hasText: flowName });
  await expect(ours.filter({ hasText: sku })).toHaveCount(1, { timeout: 30_000 });
  await expect(ours.filter({ hasText: other })).toHaveCount(1);
  await screenshotAtWidths(page, "runs-full");
  await expectAxeClean(page);

  const keyFilter = page.getByLabel("SKU, order or key");
  await keyFilter.fill(sku);
  await keyFilter.press("Enter");
  await expect(page).toHaveURL(new RegExp(`key=${sku}`));
  await expect(page.getByTestId("run-row").filter({ hasText: other })).toHaveCount(0, { timeout: 30_000 });
  await expect(ours).toHaveCount(1);
  await expect(ours.first()).toContainText(sku);
  await expect(ours.first()).toContainText("Succeeded");

  // The filter is in the URL: a reload (or a shared link) shows the same list.
  await page.reload();
  await expect(page.getByLabel("SKU, order or key")).toHaveValue(sku, { timeout: 30_000 });
  await expect(ours).toHaveCount(1, { timeout: 30_000 });

  await ours.first().getByRole("link", { name: flowName }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { name: new RegExp(flowName) })).toBeVisible({ timeout: 30_000 });
  const waterfall = page.getByTestId("waterfall");
  await expect(waterfall.getByTestId("waterfall-row-trigger")).toBeVisible();
  await expect(waterfall.getByTestId("waterfall-row-sum")).toBeVisible();
  await expect(page.getByTestId("event-json")).toContainText(sku);

  await waterfall.getByRole("button", { name: /Step sum/ }).click();
  const step = page.getByTestId("step-panel");
  await expect(step.getByRole("heading", { name: "Step sum" })).toBeVisible();
  await expect(step.getByTestId("step-output")).toContainText("double: 42");
  await screenshotAtWidths(page, "run-detail");
  await expectAxeClean(page);

  // Clicking a node of the graph selects its step too.
  await page.getByTestId("run-graph").getByText("trigger · succeeded").click();
  await expect(step.getByRole("heading", { name: "Step trigger" })).toBeVisible();
});

test("a new run appears without reload, and pausing holds the list still until resumed", async ({ page }) => {
  test.setTimeout(120_000);
  const flowId = await deployStockFlow(page.request, `Live ${randomUUID().slice(0, 6)}`);
  const sku = `SKU-LIVE-${randomUUID().slice(0, 6)}`;
  await page.goto(`/runs?subject=${sku}&flow=${flowId}`);
  await expect(page.getByRole("heading", { name: "No runs match these filters" })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
  await screenshotAtWidths(page, "runs-empty");
  await expectAxeClean(page);

  await sendStock(page.request, sku, 1);
  await expect(page.getByTestId("run-row")).toHaveCount(1, { timeout: 30_000 });
  await expect(page.getByTestId("run-row").first()).toContainText("Succeeded");

  await page.getByRole("button", { name: "Pause" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Paused" })).toBeVisible();
  await sendStock(page.request, sku, 2);
  await expect.poll(() => runsOf(page.request, flowId, sku), { timeout: 30_000 }).toBe(2);
  // The second run exists on the server; the paused list still shows one.
  await expect(page.getByTestId("run-row")).toHaveCount(1);
  await page.getByRole("button", { name: "Resume" }).click();
  await expect(page.getByTestId("run-row")).toHaveCount(2, { timeout: 30_000 });
});

test("opens a key's timeline from the top-bar search box", async ({ page }) => {
  test.setTimeout(120_000);
  const flowName = `Timeline ${randomUUID().slice(0, 6)}`;
  const flowId = await deployStockFlow(page.request, flowName);
  const sku = `SKU-T-${randomUUID().slice(0, 6)}`;
  await sendStock(page.request, sku, 3);
  await sendStock(page.request, sku, 4);
  await expect.poll(() => runsOf(page.request, flowId, sku), { timeout: 30_000 }).toBe(2);

  await page.goto("/");
  const search = page.getByRole("searchbox", { name: "Find a SKU or order" });
  await search.fill(sku);
  await search.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/keys/${sku}$`));
  await expect(page.getByRole("heading", { name: `Key ${sku}` })).toBeVisible({ timeout: 30_000 });
  const events = page.getByTestId("key-event");
  await expect(events).toHaveCount(2, { timeout: 30_000 });
  await expect(events.first()).toContainText("stock.changed");
  await expect(events.first().getByRole("link", { name: new RegExp(flowName) })).toBeVisible();
  await expect(events.nth(1).getByRole("link", { name: new RegExp(flowName) })).toBeVisible();
  await screenshotAtWidths(page, "key-timeline");
  await expectAxeClean(page);

  await page.goto(`/keys/NOTHING-${randomUUID().slice(0, 6)}`);
  await expect(page.getByRole("heading", { name: /Nothing happened to/ })).toBeVisible({ timeout: 30_000 });
  await screenshotAtWidths(page, "key-timeline-empty");
});
