import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { z } from "zod";
import { createCredential, readCredentialSecret } from "@/server/credentials/credential-store";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { builtInEventTypes } from "@/server/events/event-types";
import { createFakeOpenAi } from "@/server/connectors/ai/testing/fake-openai";
import { jsonBody, type FakeApiServer } from "@/server/connectors/translate/testing/fake-api-server";
import { createFakeDeepL, deeplQuotaExceeded, deeplTooManyRequests } from "@/server/connectors/translate/testing/fake-deepl";
import { createFakeLibreTranslate } from "@/server/connectors/translate/testing/fake-libretranslate";
import type { ExecutionContext } from "../define-executor";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { translateNode } from "./definition";
import { createTranslateExecutor } from "./execute";
import { failure } from "@/server/testing/expect-failure";
import { executionContext } from "../testing/execution-context";

// action:translate against local servers speaking the DeepL, LibreTranslate and OpenAI APIs, with
// credentials stored (encrypted) in a real test database.

const key = randomBytes(32);
let database: TestDatabase;
let deepl: FakeApiServer;
let libre: FakeApiServer;
let openai: FakeApiServer;
const credentials: Record<string, string> = {};

const executor = createTranslateExecutor({ readCredential: (db, id) => readCredentialSecret(db, id, { key }), timeoutMs: 500 });

beforeAll(async () => {
  // The fake DeepL listens on 127.0.0.1, not on DeepL's own hosts.
  process.env.SYNCLINE_ALLOW_CUSTOM_PROVIDER_HOSTS = "true";
  [database, deepl, libre, openai] = await Promise.all([
    createTestDatabase(),
    createFakeDeepL("deepl-key:fx").start(),
    createFakeLibreTranslate("libre-key").start(),
    createFakeOpenAi("sk-translate").start(),
  ]);
  const add = async (name: string, type: string, secret: Record<string, string>, settings: Record<string, unknown>) =>
    (credentials[name] = (await createCredential(database.prisma, { name, type, secret, settings }, { key })).id);
  await add("deepl", "deepl", { apiKey: "deepl-key:fx" }, { baseUrl: deepl.url });
  await add("deepl-wrong-key", "deepl", { apiKey: "stolen:fx" }, { baseUrl: deepl.url });
  await add("libre", "libretranslate", { apiKey: "libre-key" }, { baseUrl: libre.url });
  await add("openai", "openai", { apiKey: "sk-translate" }, { baseUrl: `${openai.url}/v1`, model: "gpt-4o" });
});

afterAll(async () => {
  delete process.env.SYNCLINE_ALLOW_CUSTOM_PROVIDER_HOSTS;
  await Promise.all([database?.drop(), deepl?.stop(), libre?.stop(), openai?.stop()]);
});

beforeEach(() => {
  for (const fake of [deepl, libre, openai]) fake.requests.length = 0;
});

const productCreated = builtInEventTypes["product.created"].example;

function context(config: Partial<z.input<typeof translateNode.config>>, options: { event?: typeof productCreated; db?: boolean } = {}): ExecutionContext<z.output<typeof translateNode.config>> {
  return executionContext(translateNode, { credentialId: credentials.deepl, ...config }, {
    event: options.event ?? productCreated,
    nodeId: "translate",
    flowVersion: 2,
    services: { httpAllowlist: ["127.0.0.1"], db: options.db === false ? undefined : database.prisma },
  });
}

describe("action:translate with DeepL", () => {
  it("translates the configured product fields into every target language", async () => {
    const result = await executor.execute(context({ targetLanguages: ["de", "fr"], fields: ["name", "description", "attributes"] }));
    expect(result.output).toEqual({
      sourceLanguage: "en",
      translations: {
        de: {
          name: "[DE] Merino wool sweater",
          description: "[DE] Soft, warm sweater made of 100% merino wool.",
          attributes: { color: "[DE] navy", material: "[DE] merino wool" },
        },
        fr: {
          name: "[FR] Merino wool sweater",
          description: "[FR] Soft, warm sweater made of 100% merino wool.",
          attributes: { color: "[FR] navy", material: "[FR] merino wool" },
        },
      },
    });
    expect(translateNode.output.safeParse(result.output).success).toBe(true);
    expect(deepl.requests).toHaveLength(2);
    expect(deepl.requests.every((r) => r.headers.authorization === "DeepL-Auth-Key deepl-key:fx")).toBe(true);
    expect(deepl.requests.map((r) => jsonBody(r).target_lang).sort()).toEqual(["DE", "FR"]);
  });

  it("translates only the chosen fields, copies the source language instead of calling, and skips products without text", async () => {
    const result = await executor.execute(context({ sourceLanguage: "en", targetLanguages: ["en", "nl"], fields: ["name"] }));
    expect(result.output).toEqual({ sourceLanguage: "en", translations: { en: { name: "Merino wool sweater" }, nl: { name: "[NL] Merino wool sweater" } } });
    expect(deepl.requests).toHaveLength(1);
    expect(jsonBody(deepl.requests[0])).toEqual({ text: ["Merino wool sweater"], target_lang: "NL", source_lang: "EN" });

    const deleted = builtInEventTypes["product.deleted"].example;
    const empty = await executor.execute(context({ targetLanguages: ["de"] }, { event: deleted }));
    expect(empty.output).toEqual({ sourceLanguage: "auto", translations: { de: {} } });
    expect(deepl.requests).toHaveLength(1);
  });

  it("fails permanently, with a clear message, on a refused key and an unsupported language", async () => {
    const auth = await failure(executor.execute(context({ credentialId: credentials["deepl-wrong-key"] })));
    expect(auth).toBeInstanceOf(PermanentError);
    expect(auth.message).toBe("DeepL refused the credential (403): Authorization failure, check auth_key");
    const language = await failure(executor.execute(context({ targetLanguages: ["de", "tlh"] })));
    expect(language).toBeInstanceOf(PermanentError);
    expect(language.message).toBe(`DeepL does not support the target language "tlh": Value for 'target_lang' not supported.`);
  });

  it("fails transiently on rate limits (after Retry-After), quota, 5xx and timeouts", async () => {
    deepl.failNext(deeplTooManyRequests(5));
    expect(await failure(executor.execute(context({})))).toMatchObject({ name: "TransientHttpError", retryAfterMs: 5_000, systemDown: false });
    deepl.failNext(deeplQuotaExceeded);
    const quota = await failure(executor.execute(context({})));
    expect(quota).toBeInstanceOf(TransientError);
    expect(quota.message).toContain("DeepL quota exceeded (456)");
    deepl.failNext({ status: 502, body: "Bad Gateway" });
    expect(await failure(executor.execute(context({})))).toMatchObject({ systemDown: true, message: "DeepL answered 502: Bad Gateway" });
    deepl.failNext("stall");
    const slow = await failure(executor.execute(context({})));
    expect(slow).toBeInstanceOf(TransientError);
    expect(slow).toMatchObject({ systemDown: true });
    expect(slow.message).toContain("no complete answer within 500 ms");
  });

  it("is down while DeepL is offline and translates again once it is back", async () => {
    await deepl.stop();
    try {
      const offline = await failure(executor.execute(context({})));
      expect(offline).toBeInstanceOf(TransientError);
      expect(offline).toMatchObject({ systemDown: true });
    } finally {
      await deepl.start();
    }
    expect((await executor.execute(context({}))).output.translations.de?.name).toBe("[DE] Merino wool sweater");
  });
});

describe("action:translate with LibreTranslate and an OpenAI-compatible API", () => {
  it("translates through LibreTranslate with auto detection and a per-language idempotency key", async () => {
    const result = await executor.execute(context({ provider: "libretranslate", credentialId: credentials.libre, targetLanguages: ["de", "pt-BR"], fields: ["name", "attributes"] }));
    expect(result.output).toEqual({
      sourceLanguage: "en",
      translations: {
        de: { name: "[de] Merino wool sweater", attributes: { color: "[de] navy", material: "[de] merino wool" } },
        "pt-BR": { name: "[pt-BR] Merino wool sweater", attributes: { color: "[pt-BR] navy", material: "[pt-BR] merino wool" } },
      },
    });
    expect(libre.requests.map((r) => r.headers["idempotency-key"]).sort()).toEqual([
      "example-product.created:flow-1:v2:translate:de",
      "example-product.created:flow-1:v2:translate:pt-BR",
    ]);
    expect(jsonBody(libre.requests[0])).toMatchObject({ source: "auto", format: "text", api_key: "libre-key" });
  });

  it("names an unsupported LibreTranslate language", async () => {
    const error = await failure(executor.execute(context({ provider: "libretranslate", credentialId: credentials.libre, targetLanguages: ["tlh"] })));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe('LibreTranslate does not support the target language "tlh": tlh is not supported');
  });

  it("translates through chat completions in JSON mode with the credential's model", async () => {
    const result = await executor.execute(context({ provider: "openai", credentialId: credentials.openai, targetLanguages: ["fr"], fields: ["name", "description"] }));
    expect(result.output).toEqual({
      sourceLanguage: "en",
      translations: { fr: { name: "[fr] Merino wool sweater", description: "[fr] Soft, warm sweater made of 100% merino wool." } },
    });
    const body = jsonBody(openai.requests[0]);
    expect(body).toMatchObject({ model: "gpt-4o", temperature: 0, response_format: { type: "json_object" } });
    expect(openai.requests[0]!.headers.authorization).toBe("Bearer sk-translate");
  });
});

describe("action:translate configuration problems", () => {
  it("refuses a credential of another provider, a missing credential and a worker without database", async () => {
    const mismatch = await failure(executor.execute(context({ provider: "libretranslate", credentialId: credentials.deepl })));
    expect(mismatch).toBeInstanceOf(PermanentError);
    expect(mismatch.message).toBe('credential "deepl" is a deepl credential, but the node\'s provider is libretranslate: choose a libretranslate credential');
    const missing = await failure(executor.execute(context({ credentialId: "cred-that-does-not-exist" })));
    expect(missing).toBeInstanceOf(PermanentError);
    expect(missing.message).toContain("not found");
    const noDb = await failure(executor.execute(context({}, { db: false })));
    expect(noDb).toBeInstanceOf(PermanentError);
  });

  it("keeps to the SSRF rules: a loopback provider is refused without the allow-list", async () => {
    const ctx = context({});
    const error = await failure(executor.execute({ ...ctx, services: { ...ctx.services, httpAllowlist: [] } }));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain("loopback address");
  });
});
