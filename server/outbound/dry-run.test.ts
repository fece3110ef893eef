import { describe, expect, it } from "vitest";
import { DryRunStop, MASK, recordOutboundCalls } from "./dry-run";
import { sendRequest } from "./outbound-request";

// Dry runs: sendRequest records what it would send, masks secrets, and sends nothing (the
// address 192.0.2.1 is TEST-NET-1: a real attempt would fail on the address policy or time out).

describe("recordOutboundCalls", () => {
  it("records the request with secrets masked and stops before anything is sent", async () => {
    const { requests, result } = await recordOutboundCalls(() =>
      sendRequest({
        method: "POST",
        url: new URL("https://user:pw@192.0.2.1/v1/items?api_key=abc123&page=2"),
        headers: { authorization: "Bearer sk_live_1", "x-shop": "eu", "idempotency-key": "e1:f1:v0:n1" },
        body: JSON.stringify({ sku: "SKU-1", credentials: { password: "hunter2" }, apiKey: "k" }),
        timeoutMs: 1_000,
        allowlist: [],
      }),
    );
    expect(result.status).toBe("rejected");
    expect((result as PromiseRejectedResult).reason).toBeInstanceOf(DryRunStop);
    expect(requests).toEqual([
      {
        method: "POST",
        url: `https://${encodeURIComponent(MASK)}:${encodeURIComponent(MASK)}@192.0.2.1/v1/items?api_key=${encodeURIComponent(MASK)}&page=2`,
        headers: { authorization: MASK, "x-shop": "eu", "idempotency-key": "e1:f1:v0:n1" },
        body: { sku: "SKU-1", credentials: { password: MASK }, apiKey: MASK },
        idempotencyKey: "e1:f1:v0:n1",
      },
    ]);
  });

  it("outside a dry run, sendRequest really tries (and here is refused by the address policy)", async () => {
    const sent = sendRequest({ method: "GET", url: new URL("http://10.0.0.1/"), headers: {}, timeoutMs: 1_000, allowlist: [] });
    await expect(sent).rejects.not.toBeInstanceOf(DryRunStop);
  });
});
