import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { z } from "zod";
import { createCredential, readCredentialSecret } from "@/server/credentials/credential-store";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { createFakeOpenAi, openAiError } from "@/server/connectors/ai/testing/fake-openai";
import { jsonBody, type FakeApiServer } from "@/server/connectors/translate/testing/fake-api-server";
import type { ExecutionContext } from "../define-executor";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { generateContentNode } from "./definition";
import { createGenerateContentExecutor } from "./execute";
import { failure } from "@/server/testing/expect-failure";
import { executionContext } from "../testing/execution-context";

// action:generate-content against a local server speaking OpenAI's chat completions API, with
// credentials stored (encrypted) in a real test database.

const key = randomBytes(32);
let database: TestDatabase;
let openai: FakeApiServer;
const credentials: Record<string, string> = {};
const executor = createGenerateContentExecutor({ readCredential: (db, id) => readCredentialSecret(db, id, { key }), timeoutMs: 500 });

beforeAll(async () => {
  [database, openai] = await Promise.all([createTestDatabase(), createFakeOpenAi("sk-content").start()]);
  const add = async (name: string, type: string, secret: Record<string, string>, settings: Record<string, unknown>) =>
    (credentials[name] = (await createCredential(database.prisma, { name, type, secret, settings }, { key })).id);
  await add("openai", "openai", { apiKey: "sk-content" }, { baseUrl: openai.url });
  await add("openai-wrong-key", "openai", { apiKey: "sk-wrong" }, { baseUrl: `${openai.url}/v1` });
  await add("openai-no-url", "openai", { apiKey: "sk-content" }, {});
  await add("deepl", "deepl", { apiKey: "k:fx" }, {});
});

afterAll(async () => {
  await Promise.all([database?.drop(), openai?.stop()]);
});

beforeEach(() => {
  openai.requests.length = 0;
});

function context(config: Partial<z.input<typeof generateContentNode.config>>): ExecutionContext<z.output<typeof generateContentNode.config>> {
  return executionContext(generateContentNode, { credentialId: credentials.openai, ...config }, {
    steps: { translate: { translations: { de: { name: "Merinopullover" } } } },
    nodeId: "describe",
    flowVersion: 4,
    services: { httpAllowlist: ["127.0.0.1"], db: database.prisma },
  });
}

describe("action:generate-content", () => {
  it("renders the prompt from the event and earlier steps, and returns text, model and usage", async () => {
    const result = await executor.execute(context({ prompt: "Describe {{ event.data.name }} ({{ event.data.sku }}); German name: {{ steps.translate.translations.de.name }}", maxTokens: 200 }));
    const prompt = "Describe Merino wool sweater (SKU-1001); German name: Merinopullover";
    expect(result.output).toEqual({
      text: `Generated: ${prompt}`,
      model: "gpt-4o-mini-2024-07-18",
      usage: { inputTokens: prompt.length, outputTokens: `Generated: ${prompt}`.length },
    });
    expect(generateContentNode.output.safeParse(result.output).success).toBe(true);
    const sent = openai.requests[0]!;
    expect(sent.path).toBe("/v1/chat/completions");
    expect(sent.headers.authorization).toBe("Bearer sk-content");
    expect(sent.headers["idempotency-key"]).toBe("example-product.created:flow-1:v4:describe");
    expect(sent.headers.traceparent).toBe("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    expect(jsonBody(sent)).toEqual({ model: "gpt-4o-mini", messages: [{ role: "user", content: prompt }], max_tokens: 200 });
  });

  it("uses the default prompt", async () => {
    const result = await executor.execute(context({}));
    expect(result.output.text).toBe("Generated: Write a short, factual product description for Merino wool sweater (SKU SKU-1001).");
  });

  it("fails permanently on a refused key, an unknown model and configuration problems", async () => {
    const auth = await failure(executor.execute(context({ credentialId: credentials["openai-wrong-key"] })));
    expect(auth).toBeInstanceOf(PermanentError);
    expect(auth.message).toMatch(/^OpenAI-compatible API refused the credential \(401\): Incorrect API key provided/);
    const model = await failure(executor.execute(context({ model: "gpt-9" })));
    expect(model).toBeInstanceOf(PermanentError);
    expect(model.message).toContain("The model `gpt-9` does not exist");
    const type = await failure(executor.execute(context({ credentialId: credentials.deepl })));
    expect(type.message).toBe('credential "deepl" is a deepl credential; generate content needs an OpenAI-compatible one');
    const noUrl = await failure(executor.execute(context({ credentialId: credentials["openai-no-url"] })));
    expect(noUrl.message).toBe('credential "openai-no-url" has no base URL, e.g. https://api.openai.com/v1');
    const empty = await failure(executor.execute(context({ prompt: "{{ event.data.nothing }}" })));
    expect(empty).toBeInstanceOf(PermanentError);
  });

  it("fails transiently on rate limits (with when to retry), 5xx and timeouts", async () => {
    openai.failNext(openAiError(429, "Rate limit reached for gpt-4o-mini on tokens per min (TPM)", "tokens", "rate_limit_exceeded", { "retry-after": "12" }));
    expect(await failure(executor.execute(context({})))).toMatchObject({ name: "TransientHttpError", retryAfterMs: 12_000, systemDown: false });
    openai.failNext(openAiError(500, "The server had an error while processing your request.", "server_error"));
    expect(await failure(executor.execute(context({})))).toMatchObject({ systemDown: true, message: "OpenAI-compatible API answered 500: The server had an error while processing your request." });
    openai.failNext("stall");
    const slow = await failure(executor.execute(context({})));
    expect(slow).toBeInstanceOf(TransientError);
    expect(slow).toMatchObject({ systemDown: true });
  });

  it("is down while the API is offline and answers again once it is back", async () => {
    await openai.stop();
    try {
      const offline = await failure(executor.execute(context({})));
      expect(offline).toBeInstanceOf(TransientError);
      expect(offline).toMatchObject({ systemDown: true });
      expect(offline.message).toContain("ECONNREFUSED");
    } finally {
      await openai.start();
    }
    expect((await executor.execute(context({}))).output.model).toBe("gpt-4o-mini-2024-07-18");
  });
});
