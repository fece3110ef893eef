import { FakeApiServer, type FakeAnswer, type RecordedRequest } from "./fake-api-server";

// Speaks DeepL API v2 POST /v2/translate as documented: `Authorization: DeepL-Auth-Key <key>`,
// JSON { text: [], target_lang, source_lang? } → { translations: [{ detected_source_language, text }] }.
// A translation is "[DE] <text>" so tests can see which language each text went to.

const DEEPL_TARGETS = ["BG", "CS", "DA", "DE", "EL", "EN-GB", "EN-US", "ES", "FR", "IT", "JA", "NL", "PL", "PT-BR", "PT-PT", "SV", "ZH"];
const DEEPL_SOURCES = ["BG", "CS", "DA", "DE", "EL", "EN", "ES", "FR", "IT", "JA", "NL", "PL", "PT", "SV", "ZH"];

export function createFakeDeepL(apiKey: string): FakeApiServer {
  return new FakeApiServer((request: RecordedRequest): FakeAnswer => {
    if (request.method !== "POST" || request.path !== "/v2/translate") return { status: 404, body: { message: "Not found" } };
    if (request.headers.authorization !== `DeepL-Auth-Key ${apiKey}`) return { status: 403, body: { message: "Authorization failure, check auth_key" } };
    const body = (request.body ?? {}) as { text?: unknown; target_lang?: unknown; source_lang?: unknown };
    if (!Array.isArray(body.text) || body.text.length === 0) return { status: 400, body: { message: "Parameter 'text' not specified." } };
    if (typeof body.target_lang !== "string") return { status: 400, body: { message: "Parameter 'target_lang' not specified." } };
    if (!DEEPL_TARGETS.includes(body.target_lang)) return { status: 400, body: { message: "Value for 'target_lang' not supported." } };
    if (body.source_lang !== undefined && !DEEPL_SOURCES.includes(String(body.source_lang))) return { status: 400, body: { message: "Value for 'source_lang' not supported." } };
    return {
      status: 200,
      body: { translations: (body.text as string[]).map((text) => ({ detected_source_language: String(body.source_lang ?? "EN"), text: `[${body.target_lang as string}] ${text}` })) },
    };
  });
}

export const deeplQuotaExceeded = { status: 456, body: { message: "Quota exceeded. The character limit has been reached." } };
export const deeplTooManyRequests = (seconds: number) => ({ status: 429, body: { message: "Too many requests" }, headers: { "retry-after": String(seconds) } });
