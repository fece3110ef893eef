import { describe, expect, it } from "vitest";
import { maskedUrl, tracingEnabled, withOutboundSpan, withRunSpan, withStepSpan } from "./spans";

// The span helpers without an SDK (tracing off, as with OTEL_EXPORTER_OTLP_ENDPOINT unset), and the
// URL a span may show. The spans themselves are checked end to end in traces.test.ts.

describe("span helpers with tracing off", () => {
  it("call straight through and pass the caller's headers on untouched", async () => {
    expect(tracingEnabled()).toBe(false);
    const headers = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
    let sent: Readonly<Record<string, string>> | undefined;
    const response = await withOutboundSpan({ method: "GET", url: new URL("http://127.0.0.1/x"), headers }, async (h) => {
      sent = h;
      return { status: 200 };
    });
    expect(response).toEqual({ status: 200 });
    expect(sent).toBe(headers);
    const run = { eventId: "e", eventType: "stock.changed", orderingKey: "k", flowId: "f", flowVersion: 1, attempt: 1, dryRun: false };
    await expect(withRunSpan(run, {}, async () => ({ status: "succeeded" }))).resolves.toEqual({ status: "succeeded" });
    await expect(withStepSpan({ nodeId: "n", kind: "k", attempt: 1 }, async () => { throw new Error("boom"); }, () => true)).rejects.toThrow("boom");
  });
});

describe("maskedUrl", () => {
  it("drops credentials from the URL and masks secret-looking query values", () => {
    expect(maskedUrl(new URL("https://user:pa55@shop.example.com/admin/api/products.json?api_key=abc&limit=5&access_token=t&sig=s")))
      .toBe("https://REDACTED:REDACTED@shop.example.com/admin/api/products.json?api_key=REDACTED&limit=5&access_token=REDACTED&sig=REDACTED");
    expect(maskedUrl(new URL("http://127.0.0.1:8080/stock?sku=A-1"))).toBe("http://127.0.0.1:8080/stock?sku=A-1");
  });
});
