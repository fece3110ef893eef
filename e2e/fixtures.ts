// The one place browser tests get `test` and `expect` from. Every test runs signed in as the
// owner the e2e server creates (SYNCLINE_ADMIN_EMAIL/PASSWORD in e2e/serve.ts): the fixture signs
// in once per worker through Better Auth's endpoint and hands the storage state (the session
// cookie) to every page and `request` of that worker. `signInAs` gives a page of another role.
export { expect, type APIRequestContext, type Browser, type BrowserContext, type Locator, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { test as base, expect, request as playwrightRequest, type APIRequestContext, type Browser, type Page } from "@playwright/test";
import { E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD } from "./constants";
import { trpcMutation } from "./trpc";

export type Role = "owner" | "admin" | "editor" | "viewer";

/** Signs `request` in (its cookie jar gets the session cookie). */
async function signInRequest(request: APIRequestContext, email: string, password: string) {
  const response = await request.post("/api/auth/sign-in/email", { data: { email, password } });
  expect(response.status(), `sign-in as ${email} answered ${response.status()}: ${await response.text()}`).toBe(200);
}

export const test = base.extend<{ signInAs: (role: Role) => Promise<{ page: Page; email: string; password: string }> }, { ownerStorageState: string }>({
  ownerStorageState: [
    async ({}, use, workerInfo) => {
      const file = path.join(workerInfo.project.outputDir, ".auth", `owner-${workerInfo.parallelIndex}.json`);
      mkdirSync(path.dirname(file), { recursive: true });
      const context = await playwrightRequest.newContext({ baseURL: workerInfo.project.use.baseURL });
      await signInRequest(context, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD);
      await context.storageState({ path: file });
      await context.dispose();
      await use(file);
    },
    { scope: "worker" },
  ],
  storageState: ({ ownerStorageState }, use) => use(ownerStorageState),
  /** A new browser page signed in as a fresh user with `role` (invited by the owner). */
  signInAs: async ({ browser, request }, use) => {
    const opened: Awaited<ReturnType<Browser["newContext"]>>[] = [];
    await use(async (role) => {
      const created = await createUserWithRole(request, role);
      const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
      opened.push(context);
      await signInRequest(context.request, created.email, created.password);
      return { page: await context.newPage(), ...created };
    });
    for (const context of opened) await context.close();
  },
});

let counter = 0;
/** A user with `role`, made the way people are: an invitation by the owner, accepted. */
async function createUserWithRole(ownerRequest: APIRequestContext, role: Role) {
  counter += 1;
  const email = `${role}-${Date.now().toString(36)}-${counter}@e2e.syncline.test`;
  const password = `password-${role}-${counter}-e2e`;
  const invite = await trpcMutation<{ token: string }>(ownerRequest, "users.createInvite", { email, role });
  const anonymous = await playwrightRequest.newContext({ baseURL: test.info().project.use.baseURL });
  await trpcMutation(anonymous, "users.acceptInvite", { token: invite.token, name: `E2E ${role}`, password });
  await anonymous.dispose();
  return { email, password };
}

/**
 * Scans the page as it is now with axe and fails on any serious or critical violation, naming
 * the rule and the elements. e2e/pages-axe.spec.ts runs it on every page and dialog; other specs
 * call it on the pages they drive.
 */
export async function expectAxeClean(page: Page, where = page.url()) {
  const { default: AxeBuilder } = await import("@axe-core/playwright");
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${where}: ${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}
