import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { jsonBody, type FakeApiServer } from "../translate/testing/fake-api-server";
import { parseResetDuration } from "./call-provider";
import { chatCompletionsUrl, createChatCompletion, openAiRetryAfterMs, type ChatCompletionRequest } from "./openai-chat";
import { createFakeOpenAi, openAiError } from "./testing/fake-openai";
import { failure } from "@/server/testing/expect-failure";

const KEY = "sk-test-123";
let fake: FakeApiServer;

beforeAll(async () => {
  fake = await createFakeOpenAi(KEY).start();
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.requests.length = 0;
});

const request = (overrides: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
  baseUrl: `${fake.url}/v1`,
  apiKey: KEY,
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Describe SKU-1001" }],
  maxTokens: 300,
  allowlist: ["127.0.0.1"],
  timeoutMs: 2_000,
  ...overrides,
});

describe("chatCompletionsUrl", () => {
  it("accepts a base with or without the version segment", () => {
    expect(chatCompletionsUrl("https://api.openai.com/v1").href).toBe("https://api.openai.com/v1/chat/completions");
    expect(chatCompletionsUrl("https://api.openai.com/v1/").href).toBe("https://api.openai.com/v1/chat/completions");
    expect(chatCompletionsUrl("https://api.openai.com").href).toBe("https://api.openai.com/v1/chat/completions");
    expect(chatCompletionsUrl("https://api.groq.com/openai/v1").href).toBe("https://api.groq.com/openai/v1/chat/completions");
    expect(chatCompletionsUrl("http://ollama:11434").href).toBe("http://ollama:11434/v1/chat/completions");
  });
});

describe("rate-limit headers", () => {
  it("reads OpenAI's reset durations and prefers retry-after-ms, then Retry-After", () => {
    expect(parseResetDuration("1s")).toBe(1_000);
    expect(parseResetDuration("6m0s")).toBe(360_000);
    expect(parseResetDuration("20ms")).toBe(20);
    expect(parseResetDuration("1h2m3.5s")).toBe(3_723_500);
    expect(parseResetDuration("soon")).toBeUndefined();
    expect(openAiRetryAfterMs({ "retry-after-ms": "1500", "x-ratelimit-reset-requests": "9s" }, 2_000)).toBe(1_500);
    expect(openAiRetryAfterMs({ "x-ratelimit-reset-requests": "9s" }, 2_000)).toBe(2_000);
    expect(openAiRetryAfterMs({ "x-ratelimit-reset-requests": "2s", "x-ratelimit-reset-tokens": "6m0s" }, undefined)).toBe(360_000);
  });
});

describe("createChatCompletion", () => {
  it("posts model, messages and max_tokens with the Bearer key and idempotency key, and maps text, model and usage", async () => {
    const result = await createChatCompletion(request({ idempotencyKey: "evt:flow:v1:node", traceparent: "00-a-b-01" }));
    expect(result).toEqual({ text: "Generated: Describe SKU-1001", model: "gpt-4o-mini-2024-07-18", usage: { inputTokens: 17, outputTokens: 28 }, finishReason: "stop" });
    const sent = fake.requests[0]!;
    expect(sent.path).toBe("/v1/chat/completions");
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.headers["idempotency-key"]).toBe("evt:flow:v1:node");
    expect(sent.headers.traceparent).toBe("00-a-b-01");
    expect(jsonBody(sent)).toEqual({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Describe SKU-1001" }], max_tokens: 300 });
  });

  it("retries once with max_completion_tokens when the model refuses max_tokens", async () => {
    fake.failNext(openAiError(400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", "invalid_request_error", "unsupported_parameter"));
    const result = await createChatCompletion(request());
    expect(result.text).toBe("Generated: Describe SKU-1001");
    expect(jsonBody(fake.requests[1])).toMatchObject({ max_completion_tokens: 300 });
    expect(jsonBody(fake.requests[1]).max_tokens).toBeUndefined();
  });

  it("treats a wrong key (401) and an unknown model (404) as permanent, with the API's message", async () => {
    const auth = await failure(createChatCompletion(request({ apiKey: "sk-wrong" })));
    expect(auth).toBeInstanceOf(PermanentError);
    expect(auth.message).toMatch(/^OpenAI-compatible API refused the credential \(401\): Incorrect API key provided/);
    const model = await failure(createChatCompletion(request({ model: "gpt-9" })));
    expect(model).toBeInstanceOf(PermanentError);
    expect(model.message).toBe("OpenAI-compatible API answered 404: The model `gpt-9` does not exist or you do not have access to it.");
  });

  it("treats 429 rate limits (with the reset headers) and exhausted quota as transient", async () => {
    fake.failNext(
      openAiError(429, "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.", "requests", "rate_limit_exceeded", {
        "x-ratelimit-reset-requests": "20s",
        "x-ratelimit-remaining-requests": "0",
      }),
      openAiError(429, "You exceeded your current quota, please check your plan and billing details.", "insufficient_quota", "insufficient_quota"),
      openAiError(429, "slow down", "requests", null, { "retry-after": "4" }),
    );
    const limited = await failure(createChatCompletion(request()));
    expect(limited).toBeInstanceOf(TransientError);
    expect(limited).toMatchObject({ retryAfterMs: 20_000, systemDown: false });
    expect(limited.message).toMatch(/^OpenAI-compatible API answered 429 \(rate limit reached\): Rate limit reached/);
    const quota = await failure(createChatCompletion(request()));
    expect(quota).toBeInstanceOf(TransientError);
    expect(quota.message).toMatch(/\(quota exceeded\): You exceeded your current quota/);
    const after = await failure(createChatCompletion(request()));
    expect(after).toMatchObject({ retryAfterMs: 4_000 });
  });

  it("treats 5xx as the service being down, and times out a stalled answer", async () => {
    fake.failNext(openAiError(503, "The engine is currently overloaded, please try again later", "server_error"), "stall");
    const down = await failure(createChatCompletion(request()));
    expect(down).toBeInstanceOf(TransientError);
    expect(down).toMatchObject({ systemDown: true, message: "OpenAI-compatible API answered 503: The engine is currently overloaded, please try again later" });
    const slow = await failure(createChatCompletion(request({ timeoutMs: 200 })));
    expect(slow).toBeInstanceOf(TransientError);
    expect(slow).toMatchObject({ systemDown: true });
    expect(slow.message).toContain("no complete answer within 200 ms");
  });

  it("reports a server that went offline as down, and works again when it is back", async () => {
    await fake.stop();
    try {
      const error = await failure(createChatCompletion(request()));
      expect(error).toBeInstanceOf(TransientError);
      expect(error).toMatchObject({ systemDown: true });
      expect(error.message).toContain("ECONNREFUSED");
    } finally {
      await fake.start();
    }
    expect((await createChatCompletion(request())).text).toBe("Generated: Describe SKU-1001");
  });

  it("treats a 200 that is not a chat completion as permanent (wrong base URL)", async () => {
    fake.failNext({ status: 200, body: "<html>Welcome</html>" }, { status: 200, body: { data: [] } });
    const html = await failure(createChatCompletion(request()));
    expect(html).toBeInstanceOf(PermanentError);
    expect(html.message).toContain("not JSON");
    const other = await failure(createChatCompletion(request()));
    expect(other.message).toBe("OpenAI-compatible API: the answer has no choices; is the base URL a chat completions API?");
  });

  it("does not follow redirects, which could carry the key elsewhere", async () => {
    fake.failNext({ status: 307, headers: { location: "http://127.0.0.1:1/steal" } });
    const error = await failure(createChatCompletion(request()));
    expect(error).toBeInstanceOf(PermanentError);
  });
});
