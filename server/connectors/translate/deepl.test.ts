import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { createDeepLTranslator, deeplSourceLanguage, defaultDeepLBaseUrl } from "./deepl";
import { jsonBody, type FakeApiServer } from "./testing/fake-api-server";
import { createFakeDeepL, deeplQuotaExceeded, deeplTooManyRequests } from "./testing/fake-deepl";
import type { TranslateRequest } from "./translator";
import { failure } from "@/server/testing/expect-failure";

const KEY = "0a1b2c3d-test:fx";
let fake: FakeApiServer;

beforeAll(async () => {
  fake = await createFakeDeepL(KEY).start();
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.requests.length = 0;
});

const request = (overrides: Partial<TranslateRequest> = {}): TranslateRequest => ({
  texts: ["Merino wool sweater", "Soft and warm."],
  sourceLanguage: "auto",
  targetLanguage: "de",
  allowlist: ["127.0.0.1"],
  timeoutMs: 2_000,
  ...overrides,
});

describe("DeepL client", () => {
  it("posts the texts to /v2/translate with the DeepL-Auth-Key header and maps the answer", async () => {
    const deepl = createDeepLTranslator({ apiKey: KEY, baseUrl: fake.url });
    const result = await deepl.translate(request({ targetLanguage: "en-GB", sourceLanguage: "de-AT", traceparent: "00-abc-def-01" }));
    expect(result).toEqual({ texts: ["[EN-GB] Merino wool sweater", "[EN-GB] Soft and warm."], detectedSourceLanguage: "de" });
    const sent = fake.requests[0]!;
    expect(sent.headers.authorization).toBe(`DeepL-Auth-Key ${KEY}`);
    expect(sent.headers["content-type"]).toBe("application/json");
    expect(sent.headers.traceparent).toBe("00-abc-def-01");
    // DeepL has no idempotency key; source languages have no variant.
    expect(sent.headers["idempotency-key"]).toBeUndefined();
    expect(jsonBody(sent)).toEqual({ text: ["Merino wool sweater", "Soft and warm."], target_lang: "EN-GB", source_lang: "DE" });
  });

  it("leaves source_lang out for auto, reports the detected language, and asks for tag handling on HTML", async () => {
    const deepl = createDeepLTranslator({ apiKey: KEY, baseUrl: fake.url });
    const result = await deepl.translate(request({ texts: ["<p>Soft</p>"], html: true }));
    expect(result.detectedSourceLanguage).toBe("en");
    expect(jsonBody(fake.requests[0])).toEqual({ text: ["<p>Soft</p>"], target_lang: "DE", tag_handling: "html" });
  });

  it("splits more than 50 texts into several requests, keeping the order", async () => {
    const deepl = createDeepLTranslator({ apiKey: KEY, baseUrl: fake.url });
    const texts = Array.from({ length: 120 }, (_, i) => `t${i}`);
    const result = await deepl.translate(request({ texts }));
    expect(fake.requests.map((r) => (jsonBody(r).text as string[]).length)).toEqual([50, 50, 20]);
    expect(result.texts).toEqual(texts.map((t) => `[DE] ${t}`));
  });

  it("chooses api-free.deepl.com for free keys and api.deepl.com otherwise", () => {
    expect(defaultDeepLBaseUrl("abc:fx")).toBe("https://api-free.deepl.com");
    expect(defaultDeepLBaseUrl("abc")).toBe("https://api.deepl.com");
    expect(deeplSourceLanguage("pt-BR")).toBe("PT");
    expect(deeplSourceLanguage("auto")).toBeUndefined();
  });

  it("treats a refused key (403) as permanent, with DeepL's message", async () => {
    const deepl = createDeepLTranslator({ apiKey: "wrong:fx", baseUrl: fake.url });
    const error = await failure(deepl.translate(request()));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe("DeepL refused the credential (403): Authorization failure, check auth_key");
  });

  it("treats an unsupported target language as permanent, naming it", async () => {
    const deepl = createDeepLTranslator({ apiKey: KEY, baseUrl: fake.url });
    const error = await failure(deepl.translate(request({ targetLanguage: "tlh" })));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe(`DeepL does not support the target language "tlh": Value for 'target_lang' not supported.`);
  });

  it("treats 429 as transient after Retry-After, and 456 (quota) as transient", async () => {
    const deepl = createDeepLTranslator({ apiKey: KEY, baseUrl: fake.url });
    fake.failNext(deeplTooManyRequests(7), deeplQuotaExceeded);
    const limited = await failure(deepl.translate(request()));
    expect(limited).toBeInstanceOf(TransientError);
    expect(limited).toMatchObject({ retryAfterMs: 7_000, systemDown: false });
    expect(limited.message).toBe("DeepL rate limit reached (429): Too many requests");
    const quota = await failure(deepl.translate(request()));
    expect(quota).toBeInstanceOf(TransientError);
    expect(quota).toMatchObject({ systemDown: false });
    expect(quota.message).toContain("DeepL quota exceeded (456): Quota exceeded. The character limit has been reached.");
  });

  it("treats 5xx as the service being down", async () => {
    const deepl = createDeepLTranslator({ apiKey: KEY, baseUrl: fake.url });
    fake.failNext({ status: 503, body: { message: "Service unavailable" }, headers: { "retry-after": "30" } });
    const error = await failure(deepl.translate(request()));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ systemDown: true, retryAfterMs: 30_000, message: "DeepL answered 503: Service unavailable" });
  });

  it("times out a request that gets no answer: transient, system down", async () => {
    const deepl = createDeepLTranslator({ apiKey: KEY, baseUrl: fake.url });
    fake.failNext("stall");
    const error = await failure(deepl.translate(request({ timeoutMs: 200 })));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ systemDown: true });
    expect(error.message).toMatch(/^DeepL: POST http:\/\/127\.0\.0\.1:\d+\/v2\/translate: no complete answer within 200 ms$/);
  });

  it("reports a server that went offline as down (transient), and works again when it is back", async () => {
    const deepl = createDeepLTranslator({ apiKey: KEY, baseUrl: fake.url });
    await fake.stop();
    try {
      const error = await failure(deepl.translate(request()));
      expect(error).toBeInstanceOf(TransientError);
      expect(error).toMatchObject({ systemDown: true });
      expect(error.message).toContain("ECONNREFUSED");
    } finally {
      await fake.start();
    }
    expect((await deepl.translate(request())).texts[0]).toBe("[DE] Merino wool sweater");
  });

  it("refuses a loopback base URL unless the allow-list permits it (SSRF rules apply)", async () => {
    const deepl = createDeepLTranslator({ apiKey: KEY, baseUrl: fake.url });
    const error = await failure(deepl.translate(request({ allowlist: [] })));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain("127.0.0.1 is a loopback address");
    expect(fake.requests).toHaveLength(0);
  });
});
