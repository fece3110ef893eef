import { expect, test, type Page } from "./fixtures";


import { E2E_API_KEY } from "./constants";

// The schema registry page, used like a person would: read the built-in types, register a custom
// type, get told exactly what is wrong with a broken schema, fix it, and see it listed. Then the
// ingest endpoint validates events of the new type against it.

const schemaEditor = (page: Page) => page.getByLabel("JSON Schema of data");
const exampleEditor = (page: Page) => page.getByLabel("Example data");

test("registers a custom event type with a schema and an example", async ({ page }) => {
  const type = `com.e2e.return-requested.t${Date.now().toString(36)}`;
  await page.goto("/event-types");
  await expect(page.getByRole("heading", { name: "Event types", level: 1 })).toBeVisible();
  await expect(page.getByRole("link", { name: "Event types" })).toHaveAttribute("aria-current", "page");

  // Built-in types are listed read-only, with their fields.
  const stock = page.getByTestId("event-type-row-stock.changed");
  await expect(stock).toBeVisible();
  await expect(stock).toContainText("quantity");
  await expect(stock.getByRole("button", { name: /Edit/ })).toHaveCount(0);

  await page.getByRole("button", { name: "Register event type", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Register event type" });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel("Type").fill(type);
  await dialog.getByLabel("Description").fill("A customer asked to return an order line");

  // Not JSON at all: caught before it is sent.
  await schemaEditor(page).fill('{ "type": "object", ');
  await dialog.getByRole("button", { name: "Register" }).click();
  await expect(page.getByTestId("field-error-jsonSchema")).toContainText("not valid JSON");
  await expect(schemaEditor(page)).toHaveAttribute("aria-invalid", "true");

  // JSON, but not a usable schema: the server names the keyword.
  await schemaEditor(page).fill(JSON.stringify({
    type: "object",
    properties: { orderId: { type: "string" }, quantity: { type: "integer", minimum: "one" } },
    required: ["orderId", "quantity"],
  }, null, 2));
  await exampleEditor(page).fill(JSON.stringify({ orderId: "ORDER-1", quantity: 2 }));
  await expect(page.getByTestId("field-error-jsonSchema")).toHaveCount(0);
  await dialog.getByRole("button", { name: "Register" }).click();
  await expect(page.getByTestId("field-error-jsonSchema")).toContainText("properties.quantity.minimum: must be a number");
  await expect(schemaEditor(page)).toHaveAttribute("aria-invalid", "true");

  // A valid schema, but an example that breaks it.
  await schemaEditor(page).fill(JSON.stringify({
    type: "object",
    properties: { orderId: { type: "string" }, quantity: { type: "integer", minimum: 1 } },
    required: ["orderId", "quantity"],
  }, null, 2));
  await exampleEditor(page).fill(JSON.stringify({ orderId: "ORDER-1", quantity: 0 }));
  await dialog.getByRole("button", { name: "Register" }).click();
  await expect(page.getByTestId("field-error-example")).toContainText("quantity: does not match the schema");

  await exampleEditor(page).fill(JSON.stringify({ orderId: "ORDER-1", quantity: 2 }));
  await dialog.getByRole("button", { name: "Register" }).click();
  await expect(dialog).toBeHidden();

  const row = page.getByTestId(`event-type-row-${type}`);
  await expect(row).toBeVisible();
  await expect(row).toContainText("A customer asked to return an order line");
  await expect(row).toContainText("orderId");
  await expect(row).toContainText("quantity");

  await page.reload();
  await expect(page.getByTestId(`event-type-row-${type}`)).toBeVisible();

  // The ingest endpoint knows the new type at once and checks events against its schema.
  // (Only invalid events are sent: valid ones would be published to the shared NATS.)
  const invalid = await page.request.post("/api/events", {
    headers: { authorization: `Bearer ${E2E_API_KEY}`, "content-type": "application/cloudevents+json" },
    data: { specversion: "1.0", id: `e2e-${type}`, source: "e2e", type, subject: "ORDER-1", data: { orderId: "ORDER-1", quantity: 0 } },
  });
  expect(invalid.status()).toBe(400);
  expect(((await invalid.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toEqual(["data.quantity"]);

  // Edit: the name is fixed, the schema can change.
  await row.getByRole("button", { name: `Edit ${type}` }).click();
  const edit = page.getByRole("dialog", { name: `Edit ${type}` });
  await expect(edit.getByLabel("Type")).toBeDisabled();
  await edit.getByLabel("Description").fill("Changed description");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit).toBeHidden();
  await expect(page.getByTestId(`event-type-row-${type}`)).toContainText("Changed description");

  // Delete, after confirming.
  await page.getByTestId(`event-type-row-${type}`).getByRole("button", { name: `Delete ${type}` }).click();
  await page.getByRole("dialog", { name: "Delete event type?" }).getByRole("button", { name: "Delete event type" }).click();
  await expect(page.getByTestId(`event-type-row-${type}`)).toHaveCount(0);
});

test("refuses a built-in type name inline", async ({ page }) => {
  await page.goto("/event-types");
  await page.getByRole("button", { name: "Register event type", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Register event type" });
  await dialog.getByLabel("Type").fill("stock.changed");
  await dialog.getByRole("button", { name: "Register" }).click();
  await expect(page.getByTestId("field-error-type")).toContainText("built-in");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
});
