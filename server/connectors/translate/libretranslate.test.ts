import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { createLibreTranslateTranslator } from "./libretranslate";
import { jsonBody, type FakeApiServer } from "./testing/fake-api-server";
import { createFakeLibreTranslate } from "./testing/fake-libretranslate";
import type { TranslateRequest } from "./translator";
import { failure } from "@/server/testing/expect-failure";

const KEY = "libre-key";
let fake: FakeApiServer;

beforeAll(async () => {
  fake = await createFakeLibreTranslate(KEY).start();
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.requests.length = 0;
});

const request = (overrides: Partial<TranslateRequest> = {}): TranslateRequest => ({
  texts: ["Merino wool sweater", "Soft and warm."],
  sourceLanguage: "auto",
  targetLanguage: "fr",
  allowlist: ["127.0.0.1"],
  timeoutMs: 2_000,
  ...overrides,
});

describe("LibreTranslate client", () => {
  it("posts q as an array with source auto, the api_key and the idempotency key, and maps the answer", async () => {
    const libre = createLibreTranslateTranslator({ baseUrl: `${fake.url}/`, apiKey: KEY });
    const result = await libre.translate(request({ idempotencyKey: "evt:flow:v1:node:fr" }));
    expect(result).toEqual({ texts: ["[fr] Merino wool sweater", "[fr] Soft and warm."], detectedSourceLanguage: "en" });
    const sent = fake.requests[0]!;
    expect(sent.path).toBe("/translate");
    expect(sent.headers["idempotency-key"]).toBe("evt:flow:v1:node:fr");
    expect(jsonBody(sent)).toEqual({ q: ["Merino wool sweater", "Soft and warm."], source: "auto", target: "fr", format: "text", api_key: KEY });
  });

  it("sends a configured source language and html format, keeping region codes", async () => {
    const libre = createLibreTranslateTranslator({ baseUrl: fake.url, apiKey: KEY });
    const result = await libre.translate(request({ texts: ["<b>Soft</b>"], sourceLanguage: "EN", targetLanguage: "pt-BR", html: true }));
    expect(result).toEqual({ texts: ["[pt-BR] <b>Soft</b>"], detectedSourceLanguage: undefined });
    expect(jsonBody(fake.requests[0])).toMatchObject({ source: "en", target: "pt-BR", format: "html" });
  });

  it("treats an invalid API key (403) as permanent, with LibreTranslate's message", async () => {
    const libre = createLibreTranslateTranslator({ baseUrl: fake.url, apiKey: "nope" });
    const error = await failure(libre.translate(request()));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe("LibreTranslate refused the credential (403): Invalid API key");
  });

  it("treats an unsupported language as permanent, naming it", async () => {
    const libre = createLibreTranslateTranslator({ baseUrl: fake.url, apiKey: KEY });
    const target = await failure(libre.translate(request({ targetLanguage: "tlh" })));
    expect(target).toBeInstanceOf(PermanentError);
    expect(target.message).toBe('LibreTranslate does not support the target language "tlh": tlh is not supported');
    const source = await failure(libre.translate(request({ sourceLanguage: "xx" })));
    expect(source.message).toBe('LibreTranslate does not support the source language "xx": xx is not supported');
  });

  it("treats 429 as transient after Retry-After, and 500 as the service being down", async () => {
    const libre = createLibreTranslateTranslator({ baseUrl: fake.url, apiKey: KEY });
    fake.failNext({ status: 429, body: { error: "Too many request limits violations" }, headers: { "retry-after": "2" } }, { status: 500, body: { error: "Cannot translate text: model crashed" } });
    const limited = await failure(libre.translate(request()));
    expect(limited).toBeInstanceOf(TransientError);
    expect(limited).toMatchObject({ retryAfterMs: 2_000, systemDown: false, message: "LibreTranslate rate limit reached (429): Too many request limits violations" });
    const down = await failure(libre.translate(request()));
    expect(down).toBeInstanceOf(TransientError);
    expect(down).toMatchObject({ systemDown: true, message: "LibreTranslate answered 500: Cannot translate text: model crashed" });
  });

  it("times out, and survives the instance going offline and coming back", async () => {
    const libre = createLibreTranslateTranslator({ baseUrl: fake.url, apiKey: KEY });
    fake.failNext("stall");
    const slow = await failure(libre.translate(request({ timeoutMs: 200 })));
    expect(slow).toBeInstanceOf(TransientError);
    expect(slow).toMatchObject({ systemDown: true });
    await fake.stop();
    try {
      const offline = await failure(libre.translate(request()));
      expect(offline).toBeInstanceOf(TransientError);
      expect(offline).toMatchObject({ systemDown: true });
      expect(offline.message).toMatch(/^LibreTranslate: POST .*ECONNREFUSED/);
    } finally {
      await fake.start();
    }
    expect((await libre.translate(request())).texts).toEqual(["[fr] Merino wool sweater", "[fr] Soft and warm."]);
  });

  it("needs a base URL", () => {
    expect(() => createLibreTranslateTranslator({ baseUrl: "" })).toThrow(PermanentError);
    expect(() => createLibreTranslateTranslator({ baseUrl: "ftp://x" })).toThrow("the base URL must be http or https");
  });
});
