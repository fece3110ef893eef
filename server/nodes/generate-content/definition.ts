import * as z from "zod";
import { referenceField, templateField } from "../config-fields";
import { defineNode } from "../define-node";
import { retryPolicyField } from "../retry-policy";

export const generateContentNode = defineNode({
  kind: "action:generate-content",
  version: 1,
  label: "Generate content",
  description: "Writes product text with an AI model, e.g. a description or SEO title.",
  icon: "bot",
  category: "Product content",
  config: z.object({
    credentialId: referenceField("credential", {
      title: "Credential",
      description: "The API key of the AI provider.",
    }),
    model: z.string().trim().min(1, "enter a model name").max(100).default("gpt-4o-mini").meta({
      title: "Model",
      description: "The model to use, as the provider names it.",
    }),
    prompt: templateField("Write a short, factual product description for {{ event.data.name }} (SKU {{ event.data.sku }}).", {
      title: "Prompt",
      description: "What to ask the model; {{ expressions }} are filled in from the event and earlier steps.",
      multiline: true,
    }),
    maxTokens: z
      .number()
      .int()
      .min(1)
      .max(32_000)
      .default(500)
      .meta({ title: "Max tokens", description: "Upper limit on the length of the answer (and on its cost)." }),
    retry: retryPolicyField(),
  }),
  output: z.object({
    text: z.string().meta({ description: "The generated text" }),
    model: z.string().meta({ description: "The model that answered" }),
    usage: z
      .object({ inputTokens: z.number().int(), outputTokens: z.number().int() })
      .optional()
      .meta({ description: "Tokens used, when the provider reports them" }),
  }),
});
