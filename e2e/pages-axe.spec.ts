import { mkdirSync } from "node:fs";
import { expect, expectAxeClean, test, type Page } from "./fixtures";
import { trpcMutation } from "./trpc";

// Every page of the app, its 404 and its dialogs, scanned with axe: zero serious or critical
// violations. Each page is also checked for its "X · Syncline" title and saved as a screenshot
// (under /tmp, for people to look at).

test.describe.configure({ timeout: 300_000 });

const shots = "/tmp/syncline-pages";
mkdirSync(shots, { recursive: true });

async function scan(page: Page, name: string, title: RegExp | string) {
  await expect(page).toHaveTitle(title);
  // Scan what people see once it has loaded, not the skeletons.
  await expect(page.locator("[aria-busy='true']")).toHaveCount(0, { timeout: 30_000 });
  await page.screenshot({ path: `${shots}/${name}.png` });
  await expectAxeClean(page, name);
}

test("every page is accessible and titled", async ({ page, request }) => {
  const { id: flowId } = await trpcMutation<{ id: string }>(request, "flows.create", { name: `Axe tour ${Date.now().toString(36)}`, templateId: "out-of-stock-everywhere" });

  // Path, screenshot name, title, and a heading that shows the page has loaded.
  const pages: [string, string, string, RegExp][] = [
    ["/", "flows", "Flows · Syncline", /^Flows$/],
    ["/runs", "runs", "Runs · Syncline", /^Runs$/],
    ["/dead-letters", "dead-letters", "Dead letters · Syncline", /^Dead letters$/],
    ["/monitoring", "monitoring", "Monitoring · Syncline", /^Monitoring$/],
    ["/event-types", "event-types", "Event types · Syncline", /^Event types$/],
    ["/channels", "channels", "Channels · Syncline", /^Channels$/],
    ["/settings", "settings", "Settings · Syncline", /^Settings$/],
    ["/settings/audit", "audit-log", "Audit log · Syncline", /^Audit log$/],
    ["/settings/sources", "sources", "Sources · Settings · Syncline", /^Sources$/],
    ["/keys/SKU-NEVER-SEEN", "key-timeline", "Key timeline · Syncline", /SKU-NEVER-SEEN/],
    ["/runs/no-such-run", "run-not-found", "Run · Syncline", /^Run not found$/],
    ["/flows/no-such-flow", "flow-not-found", "Flow not found · Syncline", /^Flow not found$/],
  ];
  for (const [path, name, title, heading] of pages) {
    await page.goto(path);
    await expect(page.getByRole("heading", { name: heading }).first()).toBeVisible({ timeout: 30_000 });
    await scan(page, name, title);
  }

  // The 404: styled, with a way back, and a 404 status.
  const missing = await page.goto("/no/such/page");
  expect(missing?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "This page does not exist" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Go to flows" })).toBeVisible();
  await scan(page, "not-found", "Page not found · Syncline");

  // The editor with a template flow: a sync step selected shows its channel picker, never free text.
  await page.goto(`/flows/${flowId}`);
  await expect(page.getByTestId("canvas")).toBeVisible({ timeout: 30_000 });
  await page.getByTestId("node-webshop").click();
  const picker = page.getByTestId("config-panel").getByLabel("Channel", { exact: true });
  await expect(picker).toHaveJSProperty("tagName", "SELECT");
  await scan(page, "editor", /· Syncline$/);

  // Dialogs.
  await page.goto("/");
  await page.getByRole("button", { name: "New flow" }).first().click();
  await page.getByRole("dialog", { name: "New flow" }).getByLabel("Translate and prepare new products").check();
  await expect(page.getByTestId("template-references")).toBeVisible();
  await scan(page, "dialog-new-flow", "Flows · Syncline");

  await page.goto("/channels");
  await page.getByRole("button", { name: "New channel" }).click();
  await expect(page.getByRole("dialog", { name: "New channel" })).toBeVisible();
  await scan(page, "dialog-new-channel", "Channels · Syncline");

  await page.goto("/settings");
  for (const [button, dialog, name] of [
    ["Add credential", "Add credential", "dialog-add-credential"],
    ["Create API key", undefined, "dialog-create-api-key"],
    ["Invite user", undefined, "dialog-invite-user"],
  ] as const) {
    await page.getByRole("button", { name: button }).click();
    const opened = dialog ? page.getByRole("dialog", { name: dialog }) : page.getByRole("dialog");
    await expect(opened).toBeVisible();
    await scan(page, name, "Settings · Syncline");
    await page.keyboard.press("Escape");
    await expect(opened).toBeHidden();
  }

  await page.goto("/event-types");
  await page.getByRole("button", { name: /Register (your first )?event type/ }).first().click();
  await expect(page.getByRole("dialog")).toBeVisible();
  await scan(page, "dialog-register-event-type", "Event types · Syncline");
});

test("the sign-in page is accessible and titled", async ({ browser }) => {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await page.goto("/sign-in");
  await scan(page, "sign-in", "Sign in · Syncline");
  await context.close();
});
