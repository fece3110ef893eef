import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { readCredentialSecret } from "@/server/credentials/credential-store";
import { stringSetting } from "@/server/connectors/ai/call-provider";
import { createChatCompletion } from "@/server/connectors/ai/openai-chat";
import type { ProviderCredential } from "@/server/connectors/translate/create-translator";
import { renderTemplate } from "../../expressions/render-template";
import type { HostResolver } from "@/server/outbound/address-policy";
import { defineExecutor } from "../define-executor";
import { PermanentError } from "@/server/outbound/execution-errors";
import { generateContentNode } from "./definition";

// action:generate-content: renders the prompt from the event and earlier steps, asks an
// OpenAI-compatible chat completions endpoint, and hands the answer to later steps.

export interface GenerateContentExecutorOptions {
  /** How the credential is read; default readCredentialSecret. */
  readCredential?: (db: PrismaClient, id: string) => Promise<ProviderCredential>;
  /** Per call; default 50 s (the step's limit is 60 s). */
  timeoutMs?: number;
  resolve?: HostResolver;
}

export function createGenerateContentExecutor(options: GenerateContentExecutorOptions = {}) {
  const readCredential = options.readCredential ?? ((db, id) => readCredentialSecret(db, id));
  return defineExecutor(generateContentNode, async (context) => {
    const { config, services } = context;
    if (!services.db) throw new PermanentError("action:generate-content needs the database to read its credential, and this worker has none");
    const credential = await readCredential(services.db, config.credentialId);
    if (credential.type !== "openai") {
      throw new PermanentError(`credential "${credential.name}" is a ${credential.type} credential; generate content needs an OpenAI-compatible one`);
    }
    const baseUrl = stringSetting(credential.settings, "baseUrl");
    if (!baseUrl) throw new PermanentError(`credential "${credential.name}" has no base URL, e.g. https://api.openai.com/v1`);

    const prompt = (await renderTemplate(config.prompt, { event: context.event, steps: context.steps })).trim();
    if (prompt === "") throw new PermanentError("Prompt: the rendered prompt is empty");

    const result = await createChatCompletion({
      baseUrl,
      apiKey: credential.secret.apiKey,
      model: config.model,
      messages: [{ role: "user", content: prompt }],
      maxTokens: config.maxTokens,
      idempotencyKey: context.idempotencyKey,
      traceparent: context.traceparent || undefined,
      timeoutMs: options.timeoutMs,
      signal: context.signal,
      allowlist: services.httpAllowlist,
      resolve: options.resolve,
    });
    return { output: { text: result.text.trim(), model: result.model, usage: result.usage } };
  });
}

export const generateContentExecutor = createGenerateContentExecutor();
