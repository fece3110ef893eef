import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { readCredentialSecret } from "@/server/credentials/credential-store";
import { createTranslator, type ProviderCredential } from "@/server/connectors/translate/create-translator";
import { looksLikeHtml } from "@/server/connectors/translate/translator";
import type { HostResolver } from "@/server/outbound/address-policy";
import { defineExecutor } from "../define-executor";
import { PermanentError } from "@/server/outbound/execution-errors";
import { translateNode, type translatableFields } from "./definition";

// action:translate: the product in the event (name, description, text attributes) into every
// target language, one provider call per language. Output: translations[lang] = { name, description, attributes }.

type Field = (typeof translatableFields)[number];
type TranslatedFields = { name?: string; description?: string; attributes?: Record<string, string> };

export interface TranslateExecutorOptions {
  /** How the credential is read; default readCredentialSecret. */
  readCredential?: (db: PrismaClient, id: string) => Promise<ProviderCredential>;
  /** Per provider call; default 30 s. */
  timeoutMs?: number;
  /** For tests: host name resolution. */
  resolve?: HostResolver;
}

/** Languages translated at the same time; providers rate-limit per key. */
const CONCURRENCY = 3;

interface Piece {
  field: Field;
  /** The attribute name, for attributes. */
  key?: string;
  text: string;
}

function piecesOf(data: unknown, fields: readonly Field[]): Piece[] {
  if (typeof data !== "object" || data === null) return [];
  const product = data as Record<string, unknown>;
  const pieces: Piece[] = [];
  for (const field of fields) {
    const value = product[field];
    if (field === "attributes") {
      if (typeof value !== "object" || value === null || Array.isArray(value)) continue;
      // Only text values: numbers, flags and lists (sizes, EANs) are the same in every language.
      for (const [key, text] of Object.entries(value)) if (typeof text === "string" && text.trim() !== "") pieces.push({ field, key, text });
    } else if (typeof value === "string" && value.trim() !== "") pieces.push({ field, text: value });
  }
  return pieces;
}

function assemble(pieces: readonly Piece[], texts: readonly string[]): TranslatedFields {
  const out: TranslatedFields = {};
  pieces.forEach((piece, index) => {
    const text = texts[index]!;
    if (piece.field === "attributes") (out.attributes ??= {})[piece.key!] = text;
    else out[piece.field] = text;
  });
  return out;
}

const sameLanguage = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

async function mapLimited<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function createTranslateExecutor(options: TranslateExecutorOptions = {}) {
  const readCredential = options.readCredential ?? ((db, id) => readCredentialSecret(db, id));
  return defineExecutor(translateNode, async (context) => {
    const { config, services } = context;
    if (!services.db) throw new PermanentError("action:translate needs the database to read its credential, and this worker has none");
    const credential = await readCredential(services.db, config.credentialId);
    const translator = createTranslator(config.provider, credential);

    const pieces = piecesOf(context.event.data, config.fields);
    const texts = pieces.map((piece) => piece.text);
    const html = looksLikeHtml(texts);
    const detected: string[] = [];

    const results = await mapLimited(config.targetLanguages, CONCURRENCY, async (target) => {
      // Nothing to send (e.g. a product.updated that only changed images), or nothing to translate.
      if (pieces.length === 0) return [target, {}] as const;
      if (config.sourceLanguage !== "auto" && sameLanguage(config.sourceLanguage, target)) return [target, assemble(pieces, texts)] as const;
      const result = await translator.translate({
        texts,
        sourceLanguage: config.sourceLanguage,
        targetLanguage: target,
        html,
        // One key per language: each is its own request.
        idempotencyKey: `${context.idempotencyKey}:${target}`,
        traceparent: context.traceparent || undefined,
        timeoutMs: options.timeoutMs,
        signal: context.signal,
        allowlist: services.httpAllowlist,
        resolve: options.resolve,
      });
      if (result.detectedSourceLanguage) detected.push(result.detectedSourceLanguage);
      return [target, assemble(pieces, result.texts)] as const;
    });

    return {
      output: {
        sourceLanguage: config.sourceLanguage !== "auto" ? config.sourceLanguage : (detected[0] ?? "auto"),
        translations: Object.fromEntries(results),
      },
    };
  });
}

export const translateExecutor = createTranslateExecutor();
