import "server-only";
import type { HostResolver } from "@/server/outbound/address-policy";

// What every translation provider client offers: a batch of texts into one language.

export interface TranslateRequest {
  texts: string[];
  /** "auto" or a language code such as "en", "en-GB". */
  sourceLanguage: string;
  /** A language code such as "de", "en-GB", "pt-BR". */
  targetLanguage: string;
  /** Some texts hold HTML (product descriptions often do): the provider must keep the tags. */
  html?: boolean;
  /** Sent where the API accepts it (not DeepL). */
  idempotencyKey?: string;
  traceparent?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** SYNCLINE_HTTP_ALLOWLIST entries. */
  allowlist: readonly string[];
  resolve?: HostResolver;
}

export interface TranslateResult {
  /** In the order of `texts`. */
  texts: string[];
  /** Lower-case language code the provider detected (when the source was "auto" and it says). */
  detectedSourceLanguage?: string;
}

export interface Translator {
  provider: string;
  translate(request: TranslateRequest): Promise<TranslateResult>;
}

export const DEFAULT_TRANSLATE_TIMEOUT_MS = 30_000;

/** Does any of the texts look like HTML markup? */
export function looksLikeHtml(texts: readonly string[]): boolean {
  return texts.some((text) => /<\/?[a-z][a-z0-9-]*(\s[^<>]*)?\/?>/i.test(text));
}

/** The call settings every translate client passes through to `callProvider` unchanged. */
export function transportOf(request: TranslateRequest) {
  return {
    timeoutMs: request.timeoutMs ?? DEFAULT_TRANSLATE_TIMEOUT_MS,
    signal: request.signal,
    allowlist: request.allowlist,
    resolve: request.resolve,
  };
}
