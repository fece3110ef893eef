import "server-only";
import { PermanentError } from "@/server/outbound/execution-errors";
import { PermanentHttpError, TransientHttpError } from "@/server/outbound/classify-failure";
import { callProvider, joinUrl, type ProviderFailure } from "../ai/call-provider";
import { type TranslateRequest, type TranslateResult, type Translator, transportOf } from "./translator";

// DeepL API v2: POST {base}/v2/translate with `Authorization: DeepL-Auth-Key <key>` and a JSON body
// { text: [...], target_lang, source_lang? }. https://developers.deepl.com/docs/api-reference/translate
// Answers { translations: [{ detected_source_language, text }] } in the order of `text`.
//
// Status codes (https://developers.deepl.com/docs/best-practices/error-handling):
//   400 bad request (e.g. "Value for 'target_lang' not supported.")   → permanent
//   403 authorization failed                                             → permanent
//   413 request too large                                                → permanent
//   429 too many requests                                                → transient, Retry-After
//   456 quota exceeded (character limit of the billing period)          → transient
//   5xx (500, 503 unavailable, 529 too many requests)                    → transient, system down
// DeepL has no idempotency key: a repeat translates (and bills) again.

const DEEPL_PROVIDER = "DeepL";
const DEEPL_FREE_BASE_URL = "https://api-free.deepl.com";
const DEEPL_PRO_BASE_URL = "https://api.deepl.com";
/** Texts per request, as documented. */
const DEEPL_MAX_TEXTS = 50;

export interface DeepLOptions {
  apiKey: string;
  /** Default: api-free.deepl.com for free keys (ending ":fx"), api.deepl.com otherwise. */
  baseUrl?: string;
}

export function defaultDeepLBaseUrl(apiKey: string): string {
  return apiKey.trim().endsWith(":fx") ? DEEPL_FREE_BASE_URL : DEEPL_PRO_BASE_URL;
}

/** DeepL writes codes upper-case; source languages have no variant ("en-GB" → "EN"). */
function deeplTargetLanguage(code: string): string {
  return code.trim().toUpperCase();
}
export function deeplSourceLanguage(code: string): string | undefined {
  return code === "auto" ? undefined : code.trim().split("-")[0]!.toUpperCase();
}

function errorMessage(body: unknown): string | undefined {
  const message = typeof body === "object" && body !== null ? ((body as { message?: unknown; detail?: unknown }).message ?? (body as { detail?: unknown }).detail) : undefined;
  return typeof message === "string" ? message : undefined;
}

function classify(request: TranslateRequest) {
  return (failure: ProviderFailure) => {
    const { status, message, prefix } = failure;
    if (status === 456) return new TransientHttpError(`DeepL quota exceeded (456): ${message}. Translation resumes when the quota renews or is raised.`, status, { retryAfterMs: failure.retryAfterMs });
    if (status === 429) return new TransientHttpError(`DeepL rate limit reached (429): ${message}`, status, { retryAfterMs: failure.retryAfterMs });
    if (status === 400 && /target_lang/i.test(message)) {
      return new PermanentHttpError(`DeepL does not support the target language "${request.targetLanguage}": ${message}`, status, message);
    }
    if (status === 400 && /source_lang/i.test(message)) {
      return new PermanentHttpError(`DeepL does not support the source language "${request.sourceLanguage}": ${message}`, status, message);
    }
    if (status === 413) return new PermanentHttpError(`${prefix}: the product text is too large for one request (${message})`, status, message);
    return undefined;
  };
}

export function createDeepLTranslator(options: DeepLOptions): Translator {
  const apiKey = options.apiKey.trim();
  if (!apiKey) throw new PermanentError("DeepL: the credential has no API key");
  const url = joinUrl(options.baseUrl?.trim() || defaultDeepLBaseUrl(apiKey), "v2/translate", DEEPL_PROVIDER);

  return {
    provider: DEEPL_PROVIDER,
    async translate(request: TranslateRequest): Promise<TranslateResult> {
      const texts: string[] = [];
      let detected: string | undefined;
      for (let start = 0; start < request.texts.length; start += DEEPL_MAX_TEXTS) {
        const chunk = request.texts.slice(start, start + DEEPL_MAX_TEXTS);
        const body: Record<string, unknown> = { text: chunk, target_lang: deeplTargetLanguage(request.targetLanguage) };
        const source = deeplSourceLanguage(request.sourceLanguage);
        if (source) body.source_lang = source;
        if (request.html) body.tag_handling = "html";
        const headers: Record<string, string> = { authorization: `DeepL-Auth-Key ${apiKey}` };
        if (request.traceparent) headers.traceparent = request.traceparent;
        const response = await callProvider({
          provider: DEEPL_PROVIDER,
          method: "POST",
          url,
          headers,
          body,
          ...transportOf(request),
          errorMessage,
          classify: classify(request),
        });
        const translations = (response.json as { translations?: unknown }).translations;
        if (!Array.isArray(translations) || translations.length !== chunk.length) {
          throw new PermanentError(`DeepL answered without one translation per text (sent ${chunk.length}, got ${Array.isArray(translations) ? translations.length : "none"})`);
        }
        for (const item of translations as { text?: unknown; detected_source_language?: unknown }[]) {
          if (typeof item?.text !== "string") throw new PermanentError("DeepL answered a translation without text");
          texts.push(item.text);
          if (detected === undefined && typeof item.detected_source_language === "string") detected = item.detected_source_language.toLowerCase();
        }
      }
      return { texts, detectedSourceLanguage: detected };
    },
  };
}
