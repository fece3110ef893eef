import * as z from "zod";

// The secret fields of each credential type, shared by the Settings form (which fields to ask for)
// and the router and store (what to accept). Imported by client components: keep it free of
// server-only code.

const required = (label: string) => z.string({ error: `${label} is required` }).trim().min(1, `${label} is required`);
const optional = () => z.string().trim().optional();

export interface SecretFieldInfo {
  name: string;
  label: string;
  optional: boolean;
}

export interface SettingFieldInfo {
  name: string;
  label: string;
  placeholder?: string;
}

function credentialType<Shape extends z.ZodRawShape>(def: {
  label: string;
  secret: Shape;
  fields: Record<keyof Shape & string, string>;
  settings?: SettingFieldInfo[];
}) {
  const schema = z.object(def.secret);
  const fields: SecretFieldInfo[] = Object.entries(def.fields).map(([name, label]) => ({
    name,
    label: label as string,
    optional: (def.secret[name] as z.ZodType | undefined)?.safeParse(undefined).success ?? false,
  }));
  return { label: def.label, secret: schema, fields, settings: def.settings ?? [] };
}

export const credentialTypes = {
  deepl: credentialType({
    label: "DeepL API",
    secret: { apiKey: required("API key") },
    fields: { apiKey: "API key" },
    settings: [{ name: "baseUrl", label: "Base URL", placeholder: "https://api.deepl.com (free keys: api-free.deepl.com)" }],
  }),
  libretranslate: credentialType({
    label: "LibreTranslate",
    secret: { apiKey: optional() },
    fields: { apiKey: "API key (optional)" },
    settings: [{ name: "baseUrl", label: "Base URL", placeholder: "https://libretranslate.example.com" }],
  }),
  openai: credentialType({
    label: "OpenAI-compatible",
    secret: { apiKey: required("API key") },
    fields: { apiKey: "API key" },
    settings: [
      { name: "baseUrl", label: "Base URL", placeholder: "https://api.openai.com/v1" },
      { name: "model", label: "Model", placeholder: "gpt-4o-mini" },
    ],
  }),
  shopify: credentialType({
    label: "Shopify Admin API",
    secret: { accessToken: required("Access token") },
    fields: { accessToken: "Admin API access token" },
  }),
  woocommerce: credentialType({
    label: "WooCommerce REST API",
    secret: { consumerKey: required("Consumer key"), consumerSecret: required("Consumer secret") },
    fields: { consumerKey: "Consumer key", consumerSecret: "Consumer secret" },
  }),
  bolcom: credentialType({
    label: "Bol.com Retailer API",
    secret: { clientId: required("Client id"), clientSecret: required("Client secret") },
    fields: { clientId: "Client id", clientSecret: "Client secret" },
  }),
  "amazon-sp": credentialType({
    label: "Amazon Selling Partner API",
    secret: {
      clientId: required("LWA client id"),
      clientSecret: required("LWA client secret"),
      refreshToken: required("Refresh token"),
    },
    fields: { clientId: "LWA client id", clientSecret: "LWA client secret", refreshToken: "Refresh token" },
  }),
  webhook: credentialType({
    label: "Webhook signing secret",
    secret: { signingSecret: required("Signing secret") },
    fields: { signingSecret: "Signing secret (HMAC-SHA256)" },
  }),
  http: credentialType({
    label: "HTTP header",
    secret: { headerValue: required("Header value") },
    fields: { headerValue: "Header value (e.g. Bearer …)" },
    settings: [{ name: "headerName", label: "Header name", placeholder: "Authorization" }],
  }),
  aws: credentialType({
    label: "AWS access key",
    secret: { accessKeyId: required("Access key id"), secretAccessKey: required("Secret access key") },
    fields: { accessKeyId: "Access key id", secretAccessKey: "Secret access key" },
    settings: [
      { name: "region", label: "Region", placeholder: "eu-west-1" },
      { name: "endpoint", label: "Endpoint (optional)", placeholder: "empty: AWS's own endpoint for the region" },
    ],
  }),
  eventgrid: credentialType({
    label: "Azure Event Grid topic",
    secret: { accessKey: required("Access key or SAS token") },
    fields: { accessKey: "Topic access key, or a SAS token" },
    settings: [{ name: "endpoint", label: "Topic endpoint", placeholder: "https://<topic>.<region>-1.eventgrid.azure.net/api/events" }],
  }),
  rabbitmq: credentialType({
    label: "RabbitMQ (AMQP)",
    secret: { url: required("AMQP URL") },
    fields: { url: "AMQP URL with user and password, e.g. amqp://user:password@rabbit.example.com:5672/vhost" },
  }),
  kafka: credentialType({
    label: "Kafka (SASL over TLS)",
    secret: { username: required("User name"), password: required("Password") },
    fields: { username: "SASL user name (e.g. a Confluent Cloud API key)", password: "SASL password (e.g. the API secret)" },
    settings: [{ name: "mechanism", label: "SASL mechanism", placeholder: "plain (or scram-sha-256, scram-sha-512)" }],
  }),
} as const;

export type CredentialType = keyof typeof credentialTypes;
export const credentialTypeIds = Object.keys(credentialTypes) as CredentialType[];
export const credentialTypeSchema = z.enum(credentialTypeIds as [CredentialType, ...CredentialType[]]);

export function isCredentialType(value: string): value is CredentialType {
  return Object.hasOwn(credentialTypes, value);
}

/** Drops empty strings so an optional field left blank is "not set". */
export function compactSecret(secret: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(secret)) if (typeof value === "string" && value.trim() !== "") out[name] = value.trim();
  return out;
}
