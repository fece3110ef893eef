import { expect, test } from "./fixtures";

// Credentials and channels, used like a person would: add a credential in Settings (its secret is
// never shown again), then a channel that uses it on the Channels page, and see it listed with
// its health ("No calls yet" until the runtime talks to it).

test("creates a credential and a channel and lists them", async ({ page }) => {
  const suffix = Date.now().toString(36);
  const credentialName = `Hook secret ${suffix}`;
  const channelName = `ERP webhook ${suffix}`;
  const secretValue = `whsec-e2e-${suffix}`;

  await page.goto("/settings");
  const credentials = page.getByRole("region", { name: "Credentials" });
  await expect(credentials).toBeVisible();
  await credentials.getByRole("button", { name: "Add credential" }).click();
  let dialog = page.getByRole("dialog", { name: "Add credential" });
  await dialog.getByLabel("Name").fill(credentialName);
  await dialog.getByLabel("Type").selectOption("webhook");
  const secretInput = dialog.getByLabel("Signing secret (HMAC-SHA256)");
  await expect(secretInput).toHaveAttribute("type", "password");

  // Missing secret: the server names the field.
  await dialog.getByRole("button", { name: "Add" }).click();
  await expect(dialog.getByText("Signing secret is required")).toBeVisible();
  await secretInput.fill(secretValue);
  await dialog.getByRole("button", { name: "Add" }).click();
  await expect(dialog).toBeHidden();

  const credentialRow = credentials.getByTestId("credential-row").filter({ hasText: credentialName });
  await expect(credentialRow).toContainText("•••• set");
  await expect(page.locator("body")).not.toContainText(secretValue);

  // Editing shows that a secret is set, not what it is.
  await credentialRow.getByRole("button", { name: `Edit ${credentialName}` }).click();
  dialog = page.getByRole("dialog", { name: `Edit credential “${credentialName}”` });
  await expect(dialog.getByLabel("Signing secret (HMAC-SHA256)")).toHaveValue("");
  await expect(dialog.getByLabel("Signing secret (HMAC-SHA256)")).toHaveAttribute("placeholder", /set/);
  await dialog.getByRole("button", { name: "Cancel" }).click();

  await page.getByRole("link", { name: "Channels" }).click();
  await expect(page.getByRole("heading", { name: "Channels", level: 1 })).toBeVisible();
  await expect(page.getByRole("link", { name: "Channels" })).toHaveAttribute("aria-current", "page");
  await page.getByRole("button", { name: "New channel" }).click();
  dialog = page.getByRole("dialog", { name: "New channel" });
  await dialog.getByLabel("Name").fill(channelName);
  await dialog.getByLabel("Type").selectOption("webhook");
  await dialog.getByLabel("Credential").selectOption({ label: credentialName });

  // A bad URL is named on its field.
  await dialog.getByLabel("URL").fill("not a url");
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog.getByText("URL must be a URL")).toBeVisible();
  await dialog.getByLabel("URL").fill("https://erp.example.com/hooks/syncline");
  await dialog.getByLabel("Currency").fill("eur");
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog).toBeHidden();

  const channelRow = page.getByTestId("channel-row").filter({ hasText: channelName });
  await expect(channelRow).toContainText(credentialName);
  await expect(channelRow.getByTestId("channel-health")).toHaveText(/No calls yet|Healthy/);

  // Edit keeps the settings; delete asks first.
  await channelRow.getByRole("button", { name: `Edit ${channelName}` }).click();
  dialog = page.getByRole("dialog", { name: `Edit channel “${channelName}”` });
  await expect(dialog.getByLabel("URL")).toHaveValue("https://erp.example.com/hooks/syncline");
  await expect(dialog.getByLabel("Currency")).toHaveValue("EUR");
  // Pointing the saved secret at another host needs the secret itself: the form asks for it as
  // soon as the URL changes, and the server refuses the change without it.
  await expect(dialog.getByTestId("secret-reentry")).toHaveCount(0);
  await dialog.getByLabel("URL").fill("https://erp.example.org/hooks/syncline");
  const reentry = dialog.getByTestId("secret-reentry");
  await expect(reentry).toContainText(`Enter the secret of “${credentialName}” again`);
  await expect(reentry).toContainText("You changed URL");
  const again = reentry.getByLabel("Signing secret (HMAC-SHA256)");
  await expect(again).toHaveAttribute("type", "password");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(reentry.getByText("URL changed: enter the credential's secret again to send it to the new host.")).toBeVisible();
  await again.fill("not-the-secret");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(reentry.getByText("This does not match the saved secret.")).toBeVisible();
  await again.fill(secretValue);
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
  await channelRow.getByRole("button", { name: `Edit ${channelName}` }).click();
  dialog = page.getByRole("dialog", { name: `Edit channel “${channelName}”` });
  await expect(dialog.getByLabel("URL")).toHaveValue("https://erp.example.org/hooks/syncline");
  // Putting the URL back as it was saved asks for nothing.
  await dialog.getByLabel("URL").fill("https://erp.example.org/hooks/other");
  await expect(dialog.getByTestId("secret-reentry")).toBeVisible();
  await dialog.getByLabel("URL").fill("https://erp.example.org/hooks/syncline");
  await expect(dialog.getByTestId("secret-reentry")).toHaveCount(0);
  await dialog.getByRole("button", { name: "Cancel" }).click();

  await page.goto("/settings");
  await expect(page.getByTestId("credential-row").filter({ hasText: credentialName })).toContainText("1 channel");
  await expect(page.locator("body")).not.toContainText(secretValue);
});
