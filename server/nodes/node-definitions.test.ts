import { describe, expect, it } from "vitest";
import { handlesOf } from "./define-node";
import { getNodeDefinition } from "./registry";

// Behaviour of individual config schemas beyond "the defaults parse" (registry.test.ts).

function definition(kind: string) {
  const found = getNodeDefinition(kind);
  if (!found) throw new Error(`no ${kind}`);
  return found;
}

function issues(kind: string, config: Record<string, unknown>) {
  const result = definition(kind).config.safeParse(config);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("condition and switch handles", () => {
  it("condition branches into true and false", () => {
    expect(handlesOf(definition("logic:condition"), {}).map((h) => h.id)).toEqual(["true", "false"]);
  });

  it("switch has a handle per case plus default", () => {
    const config = { value: "event.data.warehouse", cases: [{ id: "ams", label: "Amsterdam", equals: "AMS-1" }, { id: "ber", equals: "BER-1" }] };
    expect(handlesOf(definition("logic:switch"), config)).toEqual([
      { id: "ams", label: "Amsterdam" },
      { id: "ber", label: "ber" },
      { id: "default", label: "default" },
    ]);
  });

  it("switch refuses duplicate and reserved case ids", () => {
    expect(issues("logic:switch", { cases: [{ id: "a", equals: 1 }, { id: "a", equals: 2 }] })).toEqual(['cases.1.id: case id "a" is used twice']);
    expect(issues("logic:switch", { cases: [{ id: "default", equals: 1 }] })[0]).toMatch(/no match/);
  });
});

describe("config validation", () => {
  it("http-request wants an http(s) URL and a sane timeout", () => {
    expect(issues("action:http-request", { url: "ftp://example.com" })).toEqual(["url: enter a full http:// or https:// URL"]);
    expect(issues("action:http-request", { url: "https://crm.example.com/orders/{{ event.data.orderId }}" })).toEqual([]);
    expect(issues("action:http-request", { timeoutMs: 50 })[0]).toMatch(/^timeoutMs:/);
    expect(issues("action:http-request", { headers: { "Bad Header": "x" } })[0]).toMatch(/header name/);
  });

  it("translate needs at least one distinct target language", () => {
    expect(issues("action:translate", { targetLanguages: [] })).toEqual(["targetLanguages: choose at least one language to translate into"]);
    expect(issues("action:translate", { targetLanguages: ["de", "DE"] })).toEqual(["targetLanguages: a language is listed twice"]);
    expect(issues("action:translate", { targetLanguages: ["en-GB", "pt-BR"], sourceLanguage: "nl" })).toEqual([]);
    expect(issues("action:translate", { sourceLanguage: "dutch" }).length).toBeGreaterThan(0);
  });

  it("resize-image checks widths, fit, format and quality", () => {
    expect(issues("action:resize-image", { widths: [], quality: 0, fit: "stretch", format: "gif" }).map((i) => i.split(":")[0])).toEqual([
      "widths",
      "fit",
      "format",
      "quality",
    ]);
  });

  it("sync-channel mapping values must be expressions", () => {
    expect(issues("action:sync-channel", { mapping: { price: "" } })).toEqual(["mapping.price: write an expression"]);
    expect(issues("action:sync-channel", { operation: "delete-everything" })[0]).toMatch(/^operation:/);
  });

  it("schedule checks the cron expression and time zone", () => {
    expect(issues("trigger:schedule", { cron: "0 2 * * *", timezone: "Europe/Amsterdam" })).toEqual([]);
    expect(issues("trigger:schedule", { cron: "61 * * * *" })).toEqual([expect.stringMatching(/^cron: not a valid cron expression \(.*61.*\)/)]);
    expect(issues("trigger:schedule", { cron: "*/10 * * * * *" })).toEqual([]); // seconds first
    expect(issues("trigger:schedule", { timezone: "Mars/Olympus" })).toEqual(["timezone: not a known time zone (use names like Europe/Amsterdam)"]);
  });

  it("delay takes milliseconds or readable durations up to a week", () => {
    expect(issues("logic:delay", { duration: 1500 })).toEqual([]);
    expect(issues("logic:delay", { duration: "1h30m" })).toEqual([]);
    expect(issues("logic:delay", { duration: "soon" })[0]).toMatch(/not a duration/);
    expect(issues("logic:delay", { duration: "8d" })).toEqual(["duration: a delay can be at most 7 days"]);
  });

  it("custom-event trigger refuses built-in types and malformed names", () => {
    expect(issues("trigger:custom-event", { eventType: "return.requested" })).toEqual([]);
    expect(issues("trigger:custom-event", { eventType: "stock.changed" })).toEqual(["eventType: this is a built-in event type: use its own trigger"]);
    expect(issues("trigger:custom-event", { eventType: "has spaces" })[0]).toMatch(/looks like/);
  });

  it("webhook path is a slug", () => {
    expect(issues("trigger:webhook", { path: "erp-prices" })).toEqual([]);
    expect(issues("trigger:webhook", { path: "ERP prices" })[0]).toMatch(/^path:/);
  });
});
