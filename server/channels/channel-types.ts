import * as z from "zod";
import type { CredentialType } from "@/server/credentials/credential-types";

// Settings of each sales-channel type, shared by the Channels form and the router and store.
// Imported by client components: keep it free of server-only code.

const url = (label: string) => z.url({ error: `${label} must be a URL (https://…)` });
const text = (label: string) => z.string({ error: `${label} is required` }).trim().min(1, `${label} is required`);
const optionalText = () =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === "" ? undefined : v));

/** Settings every channel may have. */
const commonChannelSettings = {
  /** Language of the channel's content, e.g. "de" or "en-GB". */
  language: z
    .string()
    .trim()
    .regex(/^$|^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/, "Use a language code such as de or en-GB")
    .optional()
    .transform((v) => (v === "" ? undefined : v)),
  /** ISO 4217 currency, e.g. "EUR". */
  currency: z
    .string()
    .trim()
    .regex(/^$|^[A-Za-z]{3}$/, "Use a 3-letter currency code such as EUR")
    .optional()
    .transform((v) => (v === "" || v === undefined ? undefined : v.toUpperCase())),
  /** Syncline field → the platform's field name. */
  fieldMapping: z.record(z.string(), z.string()).optional(),
};

export interface ChannelSettingField {
  name: string;
  label: string;
  placeholder?: string;
  optional?: boolean;
}

export const channelTypes = {
  webhook: {
    label: "Generic webhook",
    credentialType: "webhook" as CredentialType,
    settings: z.object({ url: url("URL"), ...commonChannelSettings }),
    fields: [{ name: "url", label: "URL", placeholder: "https://example.com/hooks/syncline" }] as ChannelSettingField[],
  },
  shopify: {
    label: "Shopify",
    credentialType: "shopify" as CredentialType,
    settings: z
      .object({
        shopDomain: optionalText(),
        baseUrl: url("Base URL").optional().or(z.literal("").transform(() => undefined)),
        apiVersion: z
          .string()
          .trim()
          .regex(/^\d{4}-\d{2}$|^unstable$/, "Use an API version such as 2025-01")
          .default("2025-01"),
        locationId: optionalText(),
        ...commonChannelSettings,
      })
      .refine((s) => s.shopDomain || s.baseUrl, {
        message: "Give the shop domain (my-shop.myshopify.com) or a base URL",
        path: ["shopDomain"],
      }),
    fields: [
      { name: "shopDomain", label: "Shop domain", placeholder: "my-shop.myshopify.com", optional: true },
      { name: "baseUrl", label: "Base URL (instead of the shop domain)", placeholder: "https://my-shop.myshopify.com", optional: true },
      { name: "apiVersion", label: "API version", placeholder: "2025-01" },
      { name: "locationId", label: "Inventory location id", placeholder: "gid://shopify/Location/1", optional: true },
    ] as ChannelSettingField[],
  },
  woocommerce: {
    label: "WooCommerce",
    credentialType: "woocommerce" as CredentialType,
    settings: z.object({ baseUrl: url("Base URL"), ...commonChannelSettings }),
    fields: [{ name: "baseUrl", label: "Store URL", placeholder: "https://shop.example.com" }] as ChannelSettingField[],
  },
  bolcom: {
    label: "Bol.com",
    credentialType: "bolcom" as CredentialType,
    settings: z.object({
      baseUrl: url("Base URL").default("https://api.bol.com/retailer"),
      authUrl: url("Token URL").default("https://login.bol.com/token"),
      ...commonChannelSettings,
    }),
    fields: [
      { name: "baseUrl", label: "API base URL", placeholder: "https://api.bol.com/retailer" },
      { name: "authUrl", label: "Token URL", placeholder: "https://login.bol.com/token" },
    ] as ChannelSettingField[],
  },
  amazon: {
    label: "Amazon",
    credentialType: "amazon-sp" as CredentialType,
    settings: z.object({
      baseUrl: url("Base URL").default("https://sellingpartnerapi-eu.amazon.com"),
      authUrl: url("Token URL").default("https://api.amazon.com/auth/o2/token"),
      marketplaceId: text("Marketplace id"),
      sellerId: text("Seller id"),
      ...commonChannelSettings,
    }),
    fields: [
      { name: "baseUrl", label: "SP-API endpoint", placeholder: "https://sellingpartnerapi-eu.amazon.com" },
      { name: "authUrl", label: "LWA token URL", placeholder: "https://api.amazon.com/auth/o2/token" },
      { name: "marketplaceId", label: "Marketplace id", placeholder: "A1PA6795UKMFR9" },
      { name: "sellerId", label: "Seller id", placeholder: "A2EXAMPLE" },
    ] as ChannelSettingField[],
  },
} as const;

export type ChannelType = keyof typeof channelTypes;
export const channelTypeIds = Object.keys(channelTypes) as ChannelType[];
export const channelTypeSchema = z.enum(channelTypeIds as [ChannelType, ...ChannelType[]]);

export function isChannelType(value: string): value is ChannelType {
  return Object.hasOwn(channelTypes, value);
}

export type WebhookChannelSettings = z.infer<typeof channelTypes.webhook.settings>;
export type ShopifyChannelSettings = z.infer<typeof channelTypes.shopify.settings>;
export type WooCommerceChannelSettings = z.infer<typeof channelTypes.woocommerce.settings>;
export type BolcomChannelSettings = z.infer<typeof channelTypes.bolcom.settings>;
export type AmazonChannelSettings = z.infer<typeof channelTypes.amazon.settings>;
