import "server-only";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { createChatCompletion, OPENAI_PROVIDER } from "../ai/openai-chat";
import { DEFAULT_TRANSLATE_TIMEOUT_MS, type TranslateRequest, type TranslateResult, type Translator } from "./translator";

// Translation through an OpenAI-compatible chat completions endpoint: the texts go out as a JSON
// array and the model answers a JSON object (JSON mode) with the translations in the same order.

const DEFAULT_TRANSLATION_MODEL = "gpt-4o-mini";

export interface OpenAiTranslatorOptions {
  baseUrl: string;
  apiKey?: string;
  /** Default gpt-4o-mini. */
  model?: string;
}

function systemPrompt(request: TranslateRequest): string {
  const from = request.sourceLanguage === "auto" ? "the language they are written in" : `the language "${request.sourceLanguage}"`;
  return [
    `You translate e-commerce product texts from ${from} into the language "${request.targetLanguage}" (a BCP 47 code).`,
    'The user sends a JSON object {"texts": [...]}. Translate every text faithfully and naturally for shoppers;',
    "keep HTML tags, placeholders, numbers, units, SKUs and brand names unchanged; do not add or drop anything.",
    'Answer only with a JSON object {"sourceLanguage": "<ISO 639-1 code of the original>", "translations": [...]}',
    "holding exactly one translated string per input text, in the same order.",
  ].join(" ");
}

export function createOpenAiTranslator(options: OpenAiTranslatorOptions): Translator {
  if (!options.baseUrl?.trim()) throw new PermanentError(`${OPENAI_PROVIDER}: the credential has no base URL (settings.baseUrl), e.g. https://api.openai.com/v1`);
  const model = options.model?.trim() || DEFAULT_TRANSLATION_MODEL;

  return {
    provider: OPENAI_PROVIDER,
    async translate(request: TranslateRequest): Promise<TranslateResult> {
      if (request.texts.length === 0) return { texts: [] };
      const result = await createChatCompletion({
        baseUrl: options.baseUrl,
        apiKey: options.apiKey,
        model,
        messages: [
          { role: "system", content: systemPrompt(request) },
          { role: "user", content: JSON.stringify({ texts: request.texts }) },
        ],
        temperature: 0,
        responseFormat: { type: "json_object" },
        idempotencyKey: request.idempotencyKey,
        traceparent: request.traceparent,
        timeoutMs: request.timeoutMs ?? DEFAULT_TRANSLATE_TIMEOUT_MS,
        signal: request.signal,
        allowlist: request.allowlist,
        resolve: request.resolve,
      });
      let parsed: unknown;
      try {
        parsed = JSON.parse(result.text.replace(/^```(?:json)?\s*|\s*```$/g, ""));
      } catch {
        parsed = undefined;
      }
      const translations = (parsed as { translations?: unknown } | undefined)?.translations;
      if (!Array.isArray(translations) || translations.length !== request.texts.length || translations.some((text) => typeof text !== "string")) {
        // Models occasionally answer off-format; another try usually fixes it.
        throw new TransientError(`${OPENAI_PROVIDER}: model ${result.model} did not answer one translation per text as JSON (${request.texts.length} expected)`);
      }
      const source = (parsed as { sourceLanguage?: unknown }).sourceLanguage;
      return { texts: translations as string[], detectedSourceLanguage: typeof source === "string" && source.trim() ? source.trim().toLowerCase() : undefined };
    },
  };
}
