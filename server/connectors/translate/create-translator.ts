import "server-only";
import { PermanentError } from "@/server/outbound/execution-errors";
import { stringSetting } from "../ai/call-provider";
import { createDeepLTranslator } from "./deepl";
import { createLibreTranslateTranslator } from "./libretranslate";
import { createOpenAiTranslator } from "./openai-translator";
import type { Translator } from "./translator";

export type TranslationProvider = "deepl" | "libretranslate" | "openai";

/** The credential as readCredentialSecret returns it. */
export interface ProviderCredential {
  id: string;
  name: string;
  type: string;
  settings: Record<string, unknown>;
  secret: Record<string, string>;
}

/** A client for the provider, configured from the credential (its type must match the provider). */
export function createTranslator(provider: TranslationProvider, credential: ProviderCredential): Translator {
  if (credential.type !== provider) {
    throw new PermanentError(`credential "${credential.name}" is a ${credential.type} credential, but the node's provider is ${provider}: choose a ${provider} credential`);
  }
  const baseUrl = stringSetting(credential.settings, "baseUrl");
  const apiKey = credential.secret.apiKey;
  switch (provider) {
    case "deepl":
      if (!apiKey) throw new PermanentError(`credential "${credential.name}" has no DeepL API key`);
      return createDeepLTranslator({ apiKey, baseUrl });
    case "libretranslate":
      if (!baseUrl) throw new PermanentError(`credential "${credential.name}" has no base URL: LibreTranslate needs the address of its instance`);
      return createLibreTranslateTranslator({ baseUrl, apiKey });
    case "openai":
      if (!baseUrl) throw new PermanentError(`credential "${credential.name}" has no base URL, e.g. https://api.openai.com/v1`);
      return createOpenAiTranslator({ baseUrl, apiKey, model: stringSetting(credential.settings, "model") });
  }
}
