import "server-only";
import { PermanentError } from "@/server/outbound/execution-errors";
import { PermanentHttpError, TransientHttpError } from "@/server/outbound/classify-failure";
import { callProvider, joinUrl, type ProviderFailure } from "../ai/call-provider";
import { type TranslateRequest, type TranslateResult, type Translator, transportOf } from "./translator";

// LibreTranslate: POST {base}/translate with a JSON body { q, source, target, format, api_key }.
// https://docs.libretranslate.com/guides/api_usage/ — `q` may be an array; then `translatedText`
// (and `detectedLanguage`, when source is "auto") are arrays in the same order.
// Errors are { "error": "..." }: 400 invalid request / unsupported language ("xx is not
// supported"), 403 invalid or missing API key (or banned), 429 slow down, 500 translation failed.

const LIBRETRANSLATE_PROVIDER = "LibreTranslate";

export interface LibreTranslateOptions {
  /** The instance, e.g. https://libretranslate.example.com (there is no default). */
  baseUrl: string;
  /** Needed only when the instance requires keys. */
  apiKey?: string;
}

/** LibreTranslate writes base codes lower-case ("de"), keeping region / script ("pt-BR", "zh-Hans"). */
function libreLanguage(code: string): string {
  if (code === "auto") return code;
  const [base, ...rest] = code.trim().split("-");
  return [base!.toLowerCase(), ...rest].join("-");
}

function errorMessage(body: unknown): string | undefined {
  const error = typeof body === "object" && body !== null ? (body as { error?: unknown }).error : undefined;
  return typeof error === "string" ? error : undefined;
}

function classify(request: TranslateRequest) {
  return (failure: ProviderFailure) => {
    const { status, message } = failure;
    if (status === 400 && /not supported|unsupported/i.test(message)) {
      const which = message.toLowerCase().startsWith(libreLanguage(request.sourceLanguage).toLowerCase()) && request.sourceLanguage !== "auto" ? "source" : "target";
      const code = which === "source" ? request.sourceLanguage : request.targetLanguage;
      return new PermanentHttpError(`LibreTranslate does not support the ${which} language "${code}": ${message}`, status, message);
    }
    if (status === 429) return new TransientHttpError(`LibreTranslate rate limit reached (429): ${message}`, status, { retryAfterMs: failure.retryAfterMs });
    return undefined;
  };
}

export function createLibreTranslateTranslator(options: LibreTranslateOptions): Translator {
  if (!options.baseUrl?.trim()) throw new PermanentError("LibreTranslate: the credential has no base URL (settings.baseUrl), and LibreTranslate has no default instance");
  const url = joinUrl(options.baseUrl.trim(), "translate", LIBRETRANSLATE_PROVIDER);
  const apiKey = options.apiKey?.trim();

  return {
    provider: LIBRETRANSLATE_PROVIDER,
    async translate(request: TranslateRequest): Promise<TranslateResult> {
      if (request.texts.length === 0) return { texts: [] };
      const body: Record<string, unknown> = {
        q: request.texts,
        source: libreLanguage(request.sourceLanguage),
        target: libreLanguage(request.targetLanguage),
        format: request.html ? "html" : "text",
      };
      if (apiKey) body.api_key = apiKey;
      const headers: Record<string, string> = {};
      if (request.idempotencyKey) headers["idempotency-key"] = request.idempotencyKey;
      if (request.traceparent) headers.traceparent = request.traceparent;
      const response = await callProvider({
        provider: LIBRETRANSLATE_PROVIDER,
        method: "POST",
        url,
        headers,
        body,
        ...transportOf(request),
        errorMessage,
        classify: classify(request),
      });
      const json = response.json as { translatedText?: unknown; detectedLanguage?: unknown };
      // Older instances answer a one-element array with a plain string.
      const translated = typeof json.translatedText === "string" && request.texts.length === 1 ? [json.translatedText] : json.translatedText;
      if (!Array.isArray(translated) || translated.length !== request.texts.length || translated.some((text) => typeof text !== "string")) {
        throw new PermanentError(`LibreTranslate answered without one translation per text (sent ${request.texts.length})`);
      }
      const detectedList = Array.isArray(json.detectedLanguage) ? json.detectedLanguage : [json.detectedLanguage];
      const first = detectedList.find((item): item is { language: string } => typeof (item as { language?: unknown } | null)?.language === "string");
      return { texts: translated as string[], detectedSourceLanguage: first?.language.toLowerCase() };
    },
  };
}
