import "server-only";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import type { HostResolver } from "@/server/outbound/address-policy";
import { TransientHttpError } from "@/server/outbound/classify-failure";
import { callProvider, joinUrl, parseResetDuration, type ProviderFailure } from "./call-provider";

// A client for OpenAI-compatible chat completions (OpenAI, Azure-style gateways, Ollama, vLLM,
// LocalAI, OpenRouter…): POST {base}/v1/chat/completions with `Authorization: Bearer <key>`.
// https://platform.openai.com/docs/api-reference/chat/create
//
// Errors come as `{ "error": { "message", "type", "code" } }`. 429 is a rate limit (Retry-After,
// retry-after-ms or x-ratelimit-reset-* say when to come back) or an exhausted quota
// (code "insufficient_quota"): both transient. 401/403 (bad key), 404 (unknown model) and other
// 4xx are permanent; 5xx, timeouts and refused connections mean the service is down.

export const OPENAI_PROVIDER = "OpenAI-compatible API";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatCompletionRequest {
  /**
   * The API's base URL: `https://api.openai.com` or `https://api.openai.com/v1` (a base ending in a
   * version segment such as `/v1` gets `/chat/completions` appended, any other `/v1/chat/completions`).
   */
  baseUrl: string;
  apiKey?: string;
  model: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  /** `{ type: "json_object" }` asks for a JSON answer (JSON mode). */
  responseFormat?: { type: "json_object" | "text" };
  /** Sent as `Idempotency-Key`; gateways that support it drop repeats, others ignore it. */
  idempotencyKey?: string;
  traceparent?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  allowlist: readonly string[];
  resolve?: HostResolver;
}

export interface ChatCompletionResult {
  text: string;
  /** The model that answered, as the API reports it. */
  model: string;
  usage?: { inputTokens: number; outputTokens: number };
  finishReason?: string;
}

const DEFAULT_CHAT_TIMEOUT_MS = 50_000;

export function chatCompletionsUrl(baseUrl: string): URL {
  const base = joinUrl(baseUrl, "", OPENAI_PROVIDER);
  const versioned = /\/v\d+[a-z0-9]*\/?$/i.test(base.pathname.replace(/\/+$/, ""));
  return joinUrl(baseUrl, versioned ? "chat/completions" : "v1/chat/completions", OPENAI_PROVIDER);
}

function openAiErrorMessage(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error === "string") return error;
  if (typeof error === "object" && error !== null) {
    const message = (error as { message?: unknown }).message;
    if (typeof message === "string") return message;
  }
  const message = (body as { message?: unknown }).message ?? (body as { detail?: unknown }).detail;
  return typeof message === "string" ? message : undefined;
}

function errorCode(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown; type?: unknown }).code ?? (error as { type?: unknown }).type;
  return typeof code === "string" ? code : undefined;
}

/** When a 429 says to come back: Retry-After, OpenAI's retry-after-ms, else the later reset header. */
export function openAiRetryAfterMs(headers: Record<string, string>, retryAfterMs: number | undefined): number | undefined {
  const ms = Number(headers["retry-after-ms"]);
  if (headers["retry-after-ms"] !== undefined && Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  if (retryAfterMs !== undefined) return retryAfterMs;
  const resets = [parseResetDuration(headers["x-ratelimit-reset-requests"]), parseResetDuration(headers["x-ratelimit-reset-tokens"])].filter(
    (value): value is number => value !== undefined,
  );
  return resets.length > 0 ? Math.max(...resets) : undefined;
}

function classify(failure: ProviderFailure, body: { current: unknown }): TransientError | undefined {
  if (failure.status !== 429) return undefined;
  const retryAfterMs = openAiRetryAfterMs(failure.headers, failure.retryAfterMs);
  const quota = errorCode(body.current) === "insufficient_quota" || /quota/i.test(failure.message);
  const what = quota ? "quota exceeded" : "rate limit reached";
  return new TransientHttpError(`${failure.prefix} (${what}): ${failure.message}`, 429, { retryAfterMs });
}

export async function createChatCompletion(request: ChatCompletionRequest): Promise<ChatCompletionResult> {
  const url = chatCompletionsUrl(request.baseUrl);
  const headers: Record<string, string> = {};
  if (request.apiKey) headers.authorization = `Bearer ${request.apiKey}`;
  if (request.idempotencyKey) headers["idempotency-key"] = request.idempotencyKey;
  if (request.traceparent) headers.traceparent = request.traceparent;

  const send = async (tokenField: "max_tokens" | "max_completion_tokens") => {
    const body: Record<string, unknown> = { model: request.model, messages: request.messages };
    if (request.maxTokens !== undefined) body[tokenField] = request.maxTokens;
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.responseFormat) body.response_format = request.responseFormat;
    // The error body is needed to tell a quota from a rate limit; `errorMessage` sees it first.
    const lastBody = { current: undefined as unknown };
    return callProvider({
      provider: OPENAI_PROVIDER,
      method: "POST",
      url,
      headers,
      body,
      timeoutMs: request.timeoutMs ?? DEFAULT_CHAT_TIMEOUT_MS,
      signal: request.signal,
      allowlist: request.allowlist,
      resolve: request.resolve,
      errorMessage: (json) => {
        lastBody.current = json;
        return openAiErrorMessage(json);
      },
      classify: (failure) => classify(failure, lastBody),
    });
  };

  let response;
  try {
    response = await send("max_tokens");
  } catch (error) {
    // Newer OpenAI models refuse `max_tokens` and ask for `max_completion_tokens`; older
    // compatible servers only know `max_tokens`. Try the other name once.
    if (request.maxTokens !== undefined && error instanceof PermanentError && /max_completion_tokens/.test(error.message)) {
      response = await send("max_completion_tokens");
    } else throw error;
  }
  return parseChatCompletion(response.json, request.model);
}

function parseChatCompletion(json: unknown, requestedModel: string): ChatCompletionResult {
  const body = (typeof json === "object" && json !== null ? json : {}) as {
    model?: unknown;
    choices?: { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }[];
    usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
  };
  const choice = Array.isArray(body.choices) ? body.choices[0] : undefined;
  if (!choice || typeof choice !== "object") throw new PermanentError(`${OPENAI_PROVIDER}: the answer has no choices; is the base URL a chat completions API?`);
  const content = choice.message?.content;
  if (typeof content !== "string" || content === "") {
    const refusal = choice.message?.refusal;
    if (typeof refusal === "string" && refusal !== "") throw new PermanentError(`${OPENAI_PROVIDER}: the model refused: ${refusal}`);
    throw new PermanentError(`${OPENAI_PROVIDER}: the model answered without text (finish reason ${String(choice.finish_reason ?? "unknown")})`);
  }
  const input = body.usage?.prompt_tokens;
  const output = body.usage?.completion_tokens;
  const usage = Number.isInteger(input) && Number.isInteger(output) ? { inputTokens: input as number, outputTokens: output as number } : undefined;
  return {
    text: content,
    model: typeof body.model === "string" && body.model !== "" ? body.model : requestedModel,
    usage,
    finishReason: typeof choice.finish_reason === "string" ? choice.finish_reason : undefined,
  };
}
