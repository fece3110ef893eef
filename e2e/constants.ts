/** The API key the e2e server is started with (BOOTSTRAP_API_KEY), for tests that call the HTTP API. */
export const E2E_API_KEY = "syn_e2e_bootstrap_key_0123456789";

/** The owner the e2e server makes sure exists (SYNCLINE_ADMIN_EMAIL / SYNCLINE_ADMIN_PASSWORD). */
export const E2E_ADMIN_EMAIL = "owner@e2e.syncline.test";
export const E2E_ADMIN_PASSWORD = "e2e-owner-password-123";
