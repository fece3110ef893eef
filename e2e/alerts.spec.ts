import http from "node:http";
import type { AddressInfo } from "node:net";
import AxeBuilder from "@axe-core/playwright";
import { Webhook } from "standardwebhooks";
import { expect, test, type Page } from "./fixtures";

// Settings → Alerts (issue #10): set the URL, get the signing secret once, send a test alert that
// a receiver verifies with the standardwebhooks library, and see it as delivered.

async function expectAxeClean(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

let server: http.Server;
let secret = "";
const received: { type: string; verified: boolean }[] = [];
test.beforeEach(async () => {
  received.length = 0;
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let verified = false;
      try {
        new Webhook(secret).verify(body, req.headers as Record<string, string>);
        verified = true;
      } catch {
        // recorded as not verified
      }
      received.push({ type: (JSON.parse(body) as { type: string }).type, verified });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
});
test.afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

test("an admin sets the alert URL, keeps the secret shown once, and a signed test alert is delivered", async ({ page }) => {
  test.setTimeout(120_000);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/syncline-alerts`;
  await page.goto("/settings");
  const section = page.getByRole("region", { name: "Alerts" });
  await expect(section.getByTestId("alerts-not-set")).toBeVisible();

  // A host outgoing calls refuse is refused here too, naming why.
  await section.getByLabel("Webhook URL").fill("http://10.1.2.3/hook");
  await section.getByRole("button", { name: "Turn on alerts" }).click();
  await expect(section.getByRole("alert")).toContainText("SYNCLINE_HTTP_ALLOWLIST");

  await section.getByLabel("Webhook URL").fill(url);
  await section.getByLabel("Minutes between alerts of one flow").fill("10");
  await section.getByLabel("a channel goes down").uncheck();
  await section.getByRole("button", { name: "Turn on alerts" }).click();
  const dialog = page.getByRole("dialog", { name: "Alert signing secret" });
  secret = await dialog.getByTestId("alert-secret").inputValue();
  expect(secret).toMatch(/^whsec_/);
  await expectAxeClean(page);
  await dialog.getByRole("button", { name: "Done" }).click();

  await expect(section.getByTestId("alert-delivery-status")).toContainText("none yet");
  await section.getByRole("button", { name: "Send test alert" }).click();
  await expect(section.getByTestId("alert-delivery-status")).toContainText("delivered", { timeout: 20_000 });
  expect(received).toEqual([{ type: "alert.test", verified: true }]);

  // After a reload the settings are there; the secret is not on the page until revealed.
  await page.reload();
  await expect(section.getByLabel("Webhook URL")).toHaveValue(url);
  await expect(section.getByLabel("Minutes between alerts of one flow")).toHaveValue("10");
  await expect(section.getByLabel("a channel goes down")).not.toBeChecked();
  expect(await page.content()).not.toContain(secret);
  await section.getByRole("button", { name: "Reveal signing secret" }).click();
  await expect(page.getByRole("dialog", { name: "Alert signing secret" }).getByTestId("alert-secret")).toHaveValue(secret);
  await page.getByRole("dialog", { name: "Alert signing secret" }).getByRole("button", { name: "Done" }).click();
  await expectAxeClean(page);

  // Turned off again, so other specs' dead letters are not sent anywhere.
  await section.getByRole("button", { name: "Turn off" }).click();
  await page.getByRole("dialog", { name: "Turn alerts off?" }).getByRole("button", { name: "Turn off" }).click();
  await expect(section.getByTestId("alerts-not-set")).toBeVisible();
});
