import { expect, expectAxeClean, test, type Page } from "./fixtures";
import { RecordingReceiver } from "../server/runtime/testing/recording-receiver";
import { deployReceiverFlow, disableReceiverFlows, sendStock } from "./receiver-flows";

// Issue #10 §2: the dashboard follows a burst of events without a reload.

async function shoot(page: Page, name: string) {
  const dir = process.env.SCREENSHOT_DIR;
  if (!dir) return;
  for (const width of [1280, 1920]) {
    await page.setViewportSize({ width, height: width === 1280 ? 800 : 1080 });
    await page.screenshot({ path: `${dir}/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

let receiver: RecordingReceiver;
test.beforeEach(async () => {
  receiver = new RecordingReceiver();
  await receiver.start();
});
test.afterEach(async ({ request }) => {
  await disableReceiverFlows(request);
  await receiver.stop();
});

test("the dashboard shows throughput, runs and healthy partitions after a burst, refreshing on its own", async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto("/monitoring");
  await expect(page.getByRole("heading", { name: "Monitoring", level: 1 })).toBeVisible();
  // The first load waits for NATS and the database; on a loaded machine that can take a while.
  await expect(page.getByTestId("stat-runs")).toBeVisible({ timeout: 60_000 });
  await shoot(page, "monitoring-before");
  await expectAxeClean(page);
  const runsBefore = Number(await page.getByTestId("stat-runs").textContent());

  const suffix = Math.random().toString(36).slice(2, 8);
  await deployReceiverFlow(page.request, receiver, { name: `Monitored ${suffix}`, orderingPolicy: "hold" });
  const events = Array.from({ length: 60 }, (_, i) => ({ id: `mon-${suffix}-${i}`, sku: `SKU-MON-${i % 6}`, quantity: i }));
  await sendStock(page.request, events);
  // Half of the burst is enough to show; on this shared machine the rest can trail far behind.
  await receiver.waitFor(() => receiver.effects.filter((e) => e.body.sku.startsWith("SKU-MON-")).length >= 30, 150_000, "the burst");

  // No reload: the page refreshes itself.
  // The burst (and the flow's warm-up event) show up without a reload: the page refreshes itself.
  await expect.poll(async () => Number(await page.getByTestId("stat-runs").textContent()), { timeout: 60_000 }).toBeGreaterThanOrEqual(runsBefore + 31);
  await expect(page.getByTestId("stat-throughput")).not.toHaveText("0.00");
  await expect(page.getByRole("figure", { name: "Events in per second, by type" }).getByTestId("chart-summary")).toHaveText(/^[1-9]\d* events$/);
  await expect(page.getByRole("figure", { name: "Runs per flow" }).locator(".recharts-bar-rectangle").first()).toBeVisible();
  await expect(page.getByTestId("stat-lag")).toHaveText(/^\d+$/);
  await expect(page.getByTestId("nats-version")).toContainText("nats-server 2.");
  await expect(page.getByTestId("worker-row")).not.toHaveCount(0);
  await expect(page.getByTestId("partition").first()).toBeVisible();
  await expect(page.locator('[data-testid="partition"][data-problem="true"]')).toHaveCount(0);
  await page.getByRole("button", { name: "1 h" }).click();
  await expect(page.getByRole("button", { name: "1 h" })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("stat-throughput")).not.toHaveText("0.00");
  await page.getByRole("button", { name: "15 min" }).click();
  await shoot(page, "monitoring-after");
});

test("a partition whose worker is stopped turns red, and back once the worker runs again", async ({ page }) => {
  test.setTimeout(240_000);
  const health = (await (await page.request.get("/api/health")).json()) as { workers: { active: { pid: number }[] } };
  const pids = health.workers.active.map((w) => w.pid);
  expect(pids.length).toBeGreaterThan(0);
  await page.goto("/monitoring");
  await expect(page.getByTestId("partition").first()).toBeVisible({ timeout: 60_000 });
  const red = page.locator('[data-testid="partition"][data-problem="true"]');
  await expect(red).toHaveCount(0, { timeout: 60_000 });
  // SIGSTOP: the worker is still there but does nothing, so its leases run out.
  for (const pid of pids) process.kill(pid, "SIGSTOP");
  try {
    await expect(red.first()).toBeVisible({ timeout: 90_000 });
    await shoot(page, "monitoring-red-partition");
  } finally {
    for (const pid of pids) process.kill(pid, "SIGCONT");
  }
  await expect(red).toHaveCount(0, { timeout: 90_000 });
});
