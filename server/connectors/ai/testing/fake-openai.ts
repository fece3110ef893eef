import { FakeApiServer, type FakeAnswer, type RecordedRequest } from "../../translate/testing/fake-api-server";

// Speaks OpenAI's POST /v1/chat/completions as documented: `Authorization: Bearer <key>`, JSON
// { model, messages, max_tokens | max_completion_tokens, response_format? } → { id, object, model,
// choices: [{ index, message: { role, content }, finish_reason }], usage }. Errors: { error: { message, type, code } }.
//
// Answers: in JSON mode, a request {"texts": [...]} is "translated" to {"sourceLanguage":"en",
// "translations": ["[<lang>] text", …]} (lang taken from the system prompt); otherwise the reply
// is "Generated: <last user message>".

export function openAiError(status: number, message: string, type: string, code: string | null = null, headers?: Record<string, string>): FakeAnswer {
  return { status, body: { error: { message, type, param: null, code } }, headers };
}

export function createFakeOpenAi(apiKey: string, models: readonly string[] = ["gpt-4o-mini", "gpt-4o"]): FakeApiServer {
  return new FakeApiServer((request: RecordedRequest): FakeAnswer => {
    if (request.method !== "POST" || request.path !== "/v1/chat/completions") return openAiError(404, `Invalid URL (${request.method} ${request.path})`, "invalid_request_error");
    if (request.headers.authorization !== `Bearer ${apiKey}`) {
      return openAiError(401, "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key");
    }
    const body = (request.body ?? {}) as { model?: unknown; messages?: unknown; response_format?: { type?: string } };
    if (typeof body.model !== "string" || !models.includes(body.model)) {
      return openAiError(404, `The model \`${String(body.model)}\` does not exist or you do not have access to it.`, "invalid_request_error", "model_not_found");
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0) return openAiError(400, "'messages' must contain at least one message.", "invalid_request_error");
    const messages = body.messages as { role: string; content: string }[];
    const user = [...messages].reverse().find((message) => message.role === "user")?.content ?? "";
    let content: string;
    if (body.response_format?.type === "json_object") {
      const system = messages.find((message) => message.role === "system")?.content ?? "";
      const lang = /into the language "([^"]+)"/.exec(system)?.[1] ?? "??";
      const texts = (JSON.parse(user) as { texts: string[] }).texts;
      content = JSON.stringify({ sourceLanguage: "en", translations: texts.map((text) => `[${lang}] ${text}`) });
    } else content = `Generated: ${user}`;
    return {
      status: 200,
      body: {
        id: "chatcmpl-fake",
        object: "chat.completion",
        created: 1_773_307_800,
        model: `${body.model}-2024-07-18`,
        choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, logprobs: null, finish_reason: "stop" }],
        usage: { prompt_tokens: user.length, completion_tokens: content.length, total_tokens: user.length + content.length },
      },
    };
  });
}
