/** The API key the e2e server is started with (BOOTSTRAP_API_KEY), for tests that call the HTTP API. */
export const E2E_API_KEY = "syn_e2e_bootstrap_key_0123456789";
