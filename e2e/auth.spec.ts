import { expect, expectAxeClean, test } from "./fixtures";
import { startFirstStartServer, type FirstStartServer } from "./first-start-server";
import { trpcMutation } from "./trpc";

// Sign-in end to end: a first start leads to the setup page, the owner signs in and invites an
// editor, whom Settings and the server keep away from credentials and API keys; a viewer sees a
// flow read-only and the server refuses its save.

test.describe("first start", () => {
  let server: FirstStartServer;
  test.beforeAll(async () => {
    test.setTimeout(180_000);
    server = await startFirstStartServer(Number(process.env.E2E_PORT ?? 3100) + 100);
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  test("setup page → owner → sign in → invite an editor, who cannot manage credentials or API keys", async ({ browser }) => {
    test.setTimeout(120_000);
    expect(server.output()).toContain(`First start: create the owner account at http://localhost:`);
    expect(server.output()).toContain("listening on 127.0.0.1 only");

    const ownerContext = await browser.newContext({ baseURL: server.url, storageState: { cookies: [], origins: [] } });
    const page = await ownerContext.newPage();
    await page.goto("/flows/anything");
    await expect(page).toHaveURL(/\/setup$/);
    await expect(page.getByRole("heading", { name: "Set up Syncline" })).toBeVisible();
    await expectAxeClean(page);

    // A too-short password is refused with the field's own message.
    await page.getByLabel("Name").fill("Ada Owner");
    await page.getByLabel("Email").fill("ada@example.com");
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create owner account" }).click();
    await expect(page.getByText("Use at least 10 characters.")).toBeVisible();
    await page.getByLabel("Password").fill("ada-owner-password");
    await page.getByRole("button", { name: "Create owner account" }).click();
    await expect(page.getByTestId("signed-in-user")).toContainText("ada@example.com", { timeout: 30_000 });
    await expect(page.getByTestId("signed-in-user")).toContainText("owner");

    // The setup page is gone once an owner exists.
    await page.goto("/setup");
    await expect(page).toHaveURL(/\/$/);

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/sign-in/);
    await expectAxeClean(page);
    await page.getByLabel("Email").fill("ada@example.com");
    await page.getByLabel("Password").fill("not her password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password." })).toBeVisible();
    await page.getByLabel("Password").fill("ada-owner-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("signed-in-user")).toContainText("ada@example.com");

    await page.getByRole("link", { name: "Settings" }).click();
    await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
    await page.getByRole("button", { name: "Invite user" }).click();
    const dialog = page.getByRole("dialog", { name: "Invite user" });
    await dialog.getByLabel("Email").fill("ed@example.com");
    await dialog.getByLabel("Role").selectOption("editor");
    await dialog.getByRole("button", { name: "Create invitation link" }).click();
    const link = await page.getByTestId("invite-link").inputValue();
    expect(link).toMatch(/\/invite\/[\w-]+$/);
    await page.getByRole("button", { name: "Done" }).click();
    await expect(page.getByRole("cell", { name: "ed@example.com", exact: true })).toBeVisible();
    await expectAxeClean(page);

    // The editor opens the link in their own browser.
    const editorContext = await browser.newContext({ baseURL: server.url, storageState: { cookies: [], origins: [] } });
    const editor = await editorContext.newPage();
    await editor.goto(new URL(link).pathname);
    await expect(editor.getByLabel("Email")).toHaveValue("ed@example.com");
    await editor.getByLabel("Name").fill("Ed Editor");
    await editor.getByLabel("Password").fill("ed-editor-password");
    await editor.getByRole("button", { name: "Create account" }).click();
    await expect(editor.getByTestId("signed-in-user")).toContainText("editor");

    await editor.getByRole("link", { name: "Settings" }).click();
    await expect(editor.getByTestId("settings-admin-only")).toBeVisible();
    await expect(editor.getByRole("heading", { name: "Credentials" })).toHaveCount(0);
    await expect(editor.getByRole("button", { name: "Create API key" })).toHaveCount(0);
    await editor.goto("/settings/audit");
    await expect(editor).toHaveURL(/\/settings$/);
    // The server refuses what the UI does not offer.
    const createKey = await editor.request.post("/api/trpc/apiKeys.create?batch=1", { data: { 0: { json: { name: "sneaky", scope: "full" } } } });
    expect(createKey.status()).toBe(403);
    const createCredential = await editor.request.post("/api/trpc/credentials.create?batch=1", {
      data: { 0: { json: { name: "sneaky", type: "deepl", secret: { authKey: "x" } } } },
    });
    expect(createCredential.status()).toBe(403);

    // The owner sees who did what.
    await page.goto("/settings/audit");
    await expect(page.getByTestId("audit-table")).toContainText("Invited a user");
    await page.getByLabel("Action").selectOption("user.joined");
    await expect(page.getByTestId("audit-table")).toContainText("ed@example.com");
    await expect(page.getByTestId("audit-table")).not.toContainText("Invited a user");
    await expectAxeClean(page);

    await editorContext.close();
    await ownerContext.close();
  });
});

test("a viewer sees a flow read-only and the server refuses its save", async ({ page, signInAs }) => {
  const { id } = await trpcMutation<{ id: string }>(page.request, "flows.create", { name: "Viewer can look" });
  const viewer = await signInAs("viewer");
  await viewer.page.goto(`/flows/${id}`);
  // The editor bundle is large; on a busy machine its first load takes a while.
  await expect(viewer.page.getByTestId("read-only-badge")).toBeVisible({ timeout: 45_000 });
  await expect(viewer.page.getByTestId("save-button")).toHaveCount(0);
  await expect(viewer.page.getByTestId("publish-button")).toHaveCount(0);

  const flow = await (await page.request.get(`/api/trpc/flows.get?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { json: { id } } }))}`)).json();
  const { revision, document } = flow[0].result.data.json as { revision: number; document: unknown };
  const save = await viewer.page.request.post("/api/trpc/flows.save?batch=1", { data: { 0: { json: { id, revision, document } } } });
  expect(save.status()).toBe(403);
  // The owner can.
  const ownerSave = await page.request.post("/api/trpc/flows.save?batch=1", { data: { 0: { json: { id, revision, document } } } });
  expect(ownerSave.status()).toBe(200);
});

test("every page and route carries the security headers", async ({ page }) => {
  const response = await page.goto("/");
  const headers = response!.headers();
  expect(headers["content-security-policy"]).toMatch(/default-src 'self'/);
  expect(headers["content-security-policy"]).toMatch(/frame-ancestors 'none'/);
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  expect(headers["x-powered-by"]).toBeUndefined();
  const api = await page.request.get("/api/health");
  expect(api.headers()["x-content-type-options"]).toBe("nosniff");
  expect(api.headers()["content-security-policy"]).toMatch(/default-src 'self'/);
  // The page works under its CSP: the top bar is rendered and interactive.
  await expect(page.getByTestId("signed-in-user")).toBeVisible();
});
