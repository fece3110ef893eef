import { expect, expectAxeClean, test, type Page } from "./fixtures";
import { RecordingReceiver } from "../server/runtime/testing/recording-receiver";
import { deployReceiverFlow, disableReceiverFlows, sendStock } from "./receiver-flows";
import { E2E_ADMIN_EMAIL } from "./constants";

// Issue #10 §1 and §4: a poison event shows up in the inbox with the events held behind it; the
// payload is edited (a field error first), redriven, and the key's events arrive in order; a bulk
// redrive with a transform is previewed, shows its progress and its result.

let receiver: RecordingReceiver;
test.beforeEach(async () => {
  receiver = new RecordingReceiver();
  await receiver.start();
});
test.afterEach(async ({ request }) => {
  await disableReceiverFlows(request);
  await receiver.stop();
});

/** Screenshots for looking at the page (SCREENSHOT_DIR set), at both widths people use. */
async function shoot(page: Page, name: string) {
  const dir = process.env.SCREENSHOT_DIR;
  if (!dir) return;
  for (const width of [1280, 1920]) {
    await page.setViewportSize({ width, height: width === 1280 ? 800 : 1080 });
    await page.screenshot({ path: `${dir}/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

test("a poison event waits in the inbox with its held events; a fixed payload is redriven and the key's events arrive in order", async ({ page }) => {
  test.setTimeout(300_000);
  const suffix = Math.random().toString(36).slice(2, 8);
  const sku = `SKU-DL-${suffix}`;

  await page.goto("/dead-letters");
  await expect(page.getByRole("heading", { name: "Dead letters", level: 1 })).toBeVisible();
  await expect(page.getByText("No open dead letters")).toBeVisible();
  await shoot(page, "dead-letters-empty");
  await expectAxeClean(page);

  // The receiver refuses seq 2 of this key (422): it is dead-lettered and 3, 4, 5 wait behind it.
  receiver.poison = (body) => body.sku === sku && body.seq === 2;
  const flowName = `Stock → receiver ${suffix}`;
  await deployReceiverFlow(page.request, receiver, { name: flowName, orderingPolicy: "hold" });
  await sendStock(page.request, [1, 2, 3, 4, 5].map((q) => ({ id: `dl-${suffix}-${q}`, sku, quantity: q })));

  const group = page.getByTestId("dead-letter-group").filter({ hasText: sku });
  await expect(group).toBeVisible({ timeout: 90_000 });
  await expect(group.getByTestId("group-count")).toHaveText("1 dead letter");
  await expect(group.getByTestId("held-count")).toContainText(`${sku} in ${flowName}: 3 events waiting behind this dead letter`, { timeout: 60_000 });
  await expect(page.getByTestId("dead-letter-count")).toHaveText(/^[1-9]\d*$/, { timeout: 15_000 });
  expect(receiver.effectsByKey().get(sku)).toEqual([1]);
  await shoot(page, "dead-letters-full");

  // The detail: the error, the held events, the event in an editor.
  await group.getByRole("button", { name: `Open dl-${suffix}-2` }).click();
  const dialog = page.getByRole("dialog", { name: `Dead letter: ${sku} in ${flowName}` });
  await expect(dialog.getByTestId("last-error")).toContainText("422");
  await expect(dialog.getByTestId("held-banner")).toContainText("3 events wait behind this dead letter");
  await expect(dialog.getByTestId("trace-id")).toHaveText(/^[0-9a-f]{32}$/);
  await expect(dialog.getByRole("link", { name: "Open the run" })).toHaveAttribute("href", /^\/runs\//);
  await expect(dialog.getByRole("link", { name: sku })).toHaveAttribute("href", `/keys/${sku}`);
  await expect(dialog.getByRole("table", { name: "Attempts" }).getByRole("row")).toHaveCount(2);
  const editor = dialog.getByRole("textbox", { name: "Event (JSON)" });
  await expect(editor).toContainText(`"quantity": 2`);
  await shoot(page, "dead-letter-detail");
  await expectAxeClean(page);

  const replacePayload = async (data: object) => {
    await editor.click();
    await page.keyboard.press("ControlOrMeta+a");
    await page.keyboard.insertText(JSON.stringify({ specversion: "1.0", id: `dl-${suffix}-2`, source: "e2e/erp", type: "stock.changed", subject: sku, data }, null, 2));
  };
  // Invalid: the schema says quantity is an integer.
  await replacePayload({ sku, quantity: "twenty" });
  await expect(dialog.getByTestId("field-error")).toContainText("data.quantity", { timeout: 20_000 });
  await expect(dialog.getByRole("button", { name: "Redrive edited event" })).toBeDisabled();
  await shoot(page, "dead-letter-field-error");
  // Fixed.
  await replacePayload({ sku, quantity: 20 });
  await expect(dialog.getByTestId("edit-valid")).toBeVisible({ timeout: 20_000 });
  await expect(dialog.getByTestId("field-error")).toHaveCount(0);
  await dialog.getByRole("button", { name: "Redrive edited event" }).click();
  await expect(dialog).toBeHidden();

  await receiver.waitFor(() => (receiver.effectsByKey().get(sku) ?? []).length === 5, 90_000, "the redrive and the held events");
  expect(receiver.effectsByKey().get(sku)).toEqual([1, 20, 3, 4, 5]);
  await expect(group).toBeHidden({ timeout: 15_000 });

  await page.getByRole("tab", { name: "Resolved" }).click();
  await expect(page.getByTestId("resolved-row").filter({ hasText: sku })).toContainText("redriven");
});

test("bulk redrive by filter with a transform: preview, progress, result, and each key in order", async ({ page }) => {
  test.setTimeout(300_000);
  const suffix = Math.random().toString(36).slice(2, 8);
  const skus = [`SKU-BULK-A-${suffix}`, `SKU-BULK-B-${suffix}`];
  // Under 100 is refused: every event is dead-lettered until the transform lifts it.
  receiver.poison = (body) => skus.includes(body.sku) && body.seq < 100;
  const flowName = `Bulk ${suffix}`;
  const flowId = await deployReceiverFlow(page.request, receiver, { name: flowName, orderingPolicy: "skip" });
  const events = [1, 2, 3].flatMap((q) => skus.map((sku) => ({ id: `bulk-${suffix}-${sku}-${q}`, sku, quantity: q })));
  await sendStock(page.request, events);

  await page.goto(`/dead-letters`);
  await page.getByLabel("Flow").selectOption({ label: flowName });
  await expect(page).toHaveURL(new RegExp(`flowId=${flowId}`));
  await expect(page.getByTestId("dead-letter-row")).toHaveCount(6, { timeout: 90_000 });
  await expect(page.getByTestId("dead-letter-group")).toHaveCount(2);

  await page.getByRole("button", { name: "Redrive all matching…" }).click();
  const dialog = page.getByRole("dialog", { name: "Bulk redrive" });
  await dialog.getByLabel("JSONata expression").check();
  await dialog.getByLabel(/JSONata expression \(its result/).fill('$merge([event.data, {"quantity": event.data.quantity + 100}])');
  await dialog.getByRole("button", { name: "Preview" }).click();
  await expect(dialog.getByTestId("preview-summary")).toContainText(`6 will be redriven. Calls: 6 to HTTP 127.0.0.1:${receiver.port}`);
  await expect(dialog.getByTestId("preview-row")).toHaveCount(6);
  await expect(dialog.getByTestId("preview-row").first()).toContainText(/replace \/quantity → 10[123]/);
  await shoot(page, "bulk-preview");
  await expectAxeClean(page);
  expect(receiver.effects.filter((e) => skus.includes(e.body.sku))).toEqual([]);

  await dialog.getByRole("button", { name: "Redrive 6" }).click();
  await expect(dialog.getByRole("progressbar", { name: "Bulk redrive progress" })).toBeVisible();
  await expect(dialog.getByTestId("bulk-result")).toHaveText("Redriven: 6 · Failed again: 0 · Skipped: 0", { timeout: 120_000 });
  await expect(dialog.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");
  await shoot(page, "bulk-result");
  for (const sku of skus) expect(receiver.effectsByKey().get(sku)).toEqual([101, 102, 103]);
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(page.getByText("No dead letters match")).toBeVisible({ timeout: 15_000 });
});

test("discarding a dead letter offers to discard its held events too; they never run, later events do, and Resolved says who", async ({ page }) => {
  test.setTimeout(300_000);
  const suffix = Math.random().toString(36).slice(2, 8);
  const sku = `SKU-DISC-${suffix}`;
  receiver.poison = (body) => body.sku === sku && body.seq === 1;
  const flowName = `Discard ${suffix}`;
  await deployReceiverFlow(page.request, receiver, { name: flowName, orderingPolicy: "hold" });
  await sendStock(page.request, [1, 2, 3, 4].map((q) => ({ id: `disc-${suffix}-${q}`, sku, quantity: q })));

  await page.goto("/dead-letters");
  const group = page.getByTestId("dead-letter-group").filter({ hasText: sku });
  await expect(group.getByTestId("held-count")).toContainText("3 events waiting behind this dead letter", { timeout: 90_000 });
  await group.getByRole("checkbox", { name: `Select disc-${suffix}-1` }).check();
  await page.getByRole("button", { name: "Discard selected…" }).click();

  const dialog = page.getByRole("dialog", { name: "Discard this dead letter?" });
  await expect(dialog.getByTestId("discard-held")).toContainText("3 events are held behind it");
  const release = dialog.getByRole("radio", { name: /Release them: they run now, in order/ });
  const discardToo = dialog.getByRole("radio", { name: /Discard them too: they never run/ });
  await expect(release).toBeChecked();
  await expect(dialog.getByRole("button", { name: "Discard", exact: true })).toBeVisible();
  await discardToo.check();
  await expectAxeClean(page);
  await shoot(page, "discard-held-too");
  await dialog.getByRole("button", { name: "Discard it and 3 held" }).click();
  await expect(dialog).toBeHidden();
  await expect(group).toBeHidden({ timeout: 30_000 });

  await page.getByRole("tab", { name: "Resolved" }).click();
  const rows = page.getByTestId("resolved-row").filter({ hasText: sku });
  await expect(rows).toHaveCount(4, { timeout: 30_000 });
  await expect(rows.filter({ hasText: "held event, discarded with its dead letter" })).toHaveCount(3);
  await expect(rows.first()).toContainText("discarded");
  await expect(rows.filter({ hasText: E2E_ADMIN_EMAIL })).toHaveCount(4);

  // A later event of the key runs; the discarded ones never reached the receiver.
  await sendStock(page.request, [{ id: `disc-${suffix}-5`, sku, quantity: 5 }]);
  await receiver.waitFor(() => (receiver.effectsByKey().get(sku) ?? []).length === 1, 90_000, "the later event");
  expect(receiver.effectsByKey().get(sku)).toEqual([5]);
});
