import { FakeApiServer, type FakeAnswer, type RecordedRequest } from "./fake-api-server";

// Speaks LibreTranslate POST /translate as documented: JSON { q, source, target, format, api_key }.
// `q` as an array gives `translatedText` (and `detectedLanguage` for source "auto") as arrays.
// Errors are { error }: 400 unsupported language ("xx is not supported"), 403 invalid API key.

const LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pt-BR", "pl", "sv", "zh-Hans"];

export function createFakeLibreTranslate(apiKey?: string): FakeApiServer {
  return new FakeApiServer((request: RecordedRequest): FakeAnswer => {
    if (request.method !== "POST" || request.path !== "/translate") return { status: 404, body: { error: "Not Found" } };
    const body = (request.body ?? {}) as { q?: unknown; source?: unknown; target?: unknown; format?: unknown; api_key?: unknown };
    if (apiKey !== undefined && body.api_key !== apiKey) return { status: 403, body: { error: "Invalid API key" } };
    if (body.q === undefined) return { status: 400, body: { error: "Invalid request: missing q parameter" } };
    if (typeof body.target !== "string") return { status: 400, body: { error: "Invalid request: missing target parameter" } };
    if (body.source !== "auto" && !LANGUAGES.includes(String(body.source))) return { status: 400, body: { error: `${String(body.source)} is not supported` } };
    if (!LANGUAGES.includes(body.target)) return { status: 400, body: { error: `${body.target} is not supported` } };
    const translate = (text: string) => `[${body.target as string}] ${text}`;
    const detected = { confidence: 90, language: "en" };
    if (Array.isArray(body.q)) {
      const texts = body.q as string[];
      return {
        status: 200,
        body: body.source === "auto" ? { translatedText: texts.map(translate), detectedLanguage: texts.map(() => detected) } : { translatedText: texts.map(translate) },
      };
    }
    return { status: 200, body: body.source === "auto" ? { translatedText: translate(String(body.q)), detectedLanguage: detected } : { translatedText: translate(String(body.q)) } };
  });
}
