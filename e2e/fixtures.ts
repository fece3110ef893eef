// The one place browser tests get `test` and `expect` from. Every spec imports them from here, so
// that what every test needs (a signed-in browser, once sign-in exists) is set up in one fixture.
export { expect, type APIRequestContext, type Locator, type Page } from "@playwright/test";
import { test as base } from "@playwright/test";

export const test = base;
