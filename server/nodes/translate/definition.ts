import * as z from "zod";
import { referenceField } from "../config-fields";
import { defineNode } from "../define-node";
import { retryPolicyField } from "../retry-policy";

// BCP 47 style codes as DeepL, LibreTranslate and OpenAI accept them: "de", "en-GB", "pt-BR".
const languageCode = z.string().trim().regex(/^[A-Za-z]{2,3}(?:-[A-Za-z]{2,4})?$/, "a language code looks like de, en-GB or pt-BR");

export const translatableFields = ["name", "description", "attributes"] as const;

export const translateNode = defineNode({
  kind: "action:translate",
  version: 1,
  label: "Translate",
  description: "Translates a product's name, description and text attributes into other languages.",
  icon: "languages",
  category: "Product content",
  config: z.object({
    credentialId: referenceField("credential", {
      title: "Credential",
      description: "The API key of the translation provider.",
    }),
    provider: z
      .enum(["deepl", "libretranslate", "openai"])
      .default("deepl")
      .meta({ title: "Provider", description: "Which translation service to call." }),
    sourceLanguage: z
      .union([z.literal("auto"), languageCode])
      .default("auto")
      .meta({ title: "From", description: 'The language of the product text; "auto" lets the provider detect it.' }),
    targetLanguages: z
      .array(languageCode)
      .min(1, "choose at least one language to translate into")
      .max(30)
      .refine((codes) => new Set(codes.map((c) => c.toLowerCase())).size === codes.length, "a language is listed twice")
      .default(["de"])
      .meta({ title: "Into", description: "Languages to translate into, e.g. de, fr, nl." }),
    fields: z
      .array(z.enum(translatableFields))
      .min(1, "choose at least one field")
      .refine((fields) => new Set(fields).size === fields.length, "a field is listed twice")
      .default(["name", "description"])
      .meta({ title: "Fields", description: "Which product fields to translate." }),
    retry: retryPolicyField(),
  }),
  output: z.object({
    sourceLanguage: z.string().meta({ description: "The language translated from (detected when auto)" }),
    translations: z
      .record(
        z.string(),
        z.object({
          name: z.string().optional(),
          description: z.string().optional(),
          attributes: z.record(z.string(), z.string()).optional(),
        }),
      )
      .meta({ description: "Translated fields by language code, e.g. translations.de.name" }),
  }),
});
