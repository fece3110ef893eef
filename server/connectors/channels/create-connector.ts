import "server-only";
import * as z from "zod";
import { PermanentError } from "@/server/outbound/execution-errors";
import { createAmazonConnector } from "./amazon";
import { createBolComConnector } from "./bolcom";
import { createShopifyConnector } from "./shopify";
import type { TokenCache } from "./token-cache";
import { channelTypes, type ChannelConnector, type ChannelType } from "./types";
import { createWebhookConnector } from "./webhook";
import { createWooCommerceConnector } from "./woocommerce";

// Builds the connector for a configured channel from its settings and its credential's secret,
// checking both first: a channel configured wrong fails permanently with a message naming the
// field, instead of sending half a request.

export interface ChannelRecord {
  id: string;
  name: string;
  type: string;
  credentialId: string | null;
  settings: unknown;
}

export interface CredentialRecord {
  id: string;
  type: string;
  secret: Record<string, string>;
}

/** Which credential type each channel type uses. */
const credentialTypeFor: Record<ChannelType, string> = {
  webhook: "webhook",
  shopify: "shopify",
  woocommerce: "woocommerce",
  bolcom: "bolcom",
  amazon: "amazon-sp",
};

const httpUrl = z.string().url().refine((value) => /^https?:/i.test(value), "must be an http or https URL");
const common = { language: z.string().optional(), currency: z.string().optional(), fieldMapping: z.record(z.string(), z.string()).optional() };

const channelSettingsSchemas = {
  webhook: z.object({ url: httpUrl, ...common }),
  shopify: z
    .object({ shopDomain: z.string().optional(), baseUrl: httpUrl.optional(), apiVersion: z.string().min(1).default("2025-01"), locationId: z.string().min(1).optional(), ...common })
    .refine((s) => s.baseUrl || s.shopDomain, { message: "give the shop domain or a base URL", path: ["shopDomain"] })
    .transform(({ shopDomain, baseUrl, ...rest }) => ({ ...rest, baseUrl: baseUrl ?? `https://${shopDomain!.replace(/^https?:\/\//, "")}` })),
  woocommerce: z.object({ baseUrl: httpUrl, ...common }),
  bolcom: z.object({ baseUrl: httpUrl.default("https://api.bol.com/retailer"), authUrl: httpUrl.default("https://login.bol.com/token"), apiVersion: z.string().optional(), deliveryCode: z.string().optional(), ...common }),
  amazon: z.object({ baseUrl: httpUrl.default("https://sellingpartnerapi-eu.amazon.com"), authUrl: httpUrl.default("https://api.amazon.com/auth/o2/token"), marketplaceId: z.string().min(1), sellerId: z.string().min(1), productType: z.string().optional(), ...common }),
} satisfies Record<ChannelType, z.ZodType>;

const secretSchemas = {
  webhook: z.object({ signingSecret: z.string().min(1) }),
  shopify: z.object({ accessToken: z.string().min(1) }),
  woocommerce: z.object({ consumerKey: z.string().min(1), consumerSecret: z.string().min(1) }),
  bolcom: z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) }),
  amazon: z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1), refreshToken: z.string().min(1) }),
} satisfies Record<ChannelType, z.ZodType>;

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.join(".");
  throw new PermanentError(`${what}${path ? ` ${path}` : ""}: ${issue.message}`);
}

function isChannelType(type: string): type is ChannelType {
  return (channelTypes as readonly string[]).includes(type);
}

export function createChannelConnector(channel: ChannelRecord, credential: CredentialRecord | null, options: { tokens?: TokenCache } = {}): ChannelConnector {
  const type = channel.type;
  if (!isChannelType(type)) throw new PermanentError(`channel "${channel.name}" has type "${type}", which Syncline has no connector for`);
  if (!credential) throw new PermanentError(`channel "${channel.name}" has no credential; choose one in the Channels page`);
  if (credential.type !== credentialTypeFor[type]) {
    throw new PermanentError(`channel "${channel.name}" (${type}) needs a ${credentialTypeFor[type]} credential, not a ${credential.type} one`);
  }
  const what = `channel "${channel.name}" settings`;
  const secretWhat = `channel "${channel.name}" credential`;
  switch (type) {
    case "webhook":
      return createWebhookConnector({ channelId: channel.id, settings: parse(channelSettingsSchemas.webhook, channel.settings, what), secret: parse(secretSchemas.webhook, credential.secret, secretWhat) });
    case "shopify":
      return createShopifyConnector({ settings: parse(channelSettingsSchemas.shopify, channel.settings, what), secret: parse(secretSchemas.shopify, credential.secret, secretWhat) });
    case "woocommerce":
      return createWooCommerceConnector({ settings: parse(channelSettingsSchemas.woocommerce, channel.settings, what), secret: parse(secretSchemas.woocommerce, credential.secret, secretWhat) });
    case "bolcom":
      return createBolComConnector({ credentialId: credential.id, settings: parse(channelSettingsSchemas.bolcom, channel.settings, what), secret: parse(secretSchemas.bolcom, credential.secret, secretWhat), tokens: options.tokens });
    case "amazon":
      return createAmazonConnector({ credentialId: credential.id, settings: parse(channelSettingsSchemas.amazon, channel.settings, what), secret: parse(secretSchemas.amazon, credential.secret, secretWhat), tokens: options.tokens });
  }
}
