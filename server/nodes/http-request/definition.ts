import * as z from "zod";
import { expressionField } from "../config-fields";
import { defineNode } from "../define-node";
import { retryPolicyField } from "../retry-policy";

// RFC 9110 token characters.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Version 1 called the JSON body `body`, which read as "the raw request body"; version 2 names it
 * `jsonBody` because its result is always sent as JSON. Kept to upgrade flows saved with version 1.
 */
export const httpRequestConfigV1 = z.looseObject({ body: z.string().optional() });

function upgradeFromV1(config: unknown): unknown {
  const parsed = httpRequestConfigV1.safeParse(config);
  // Not even an object: let the current schema report it.
  if (!parsed.success) return config;
  const { body, ...rest } = parsed.data;
  return body === undefined ? rest : { ...rest, jsonBody: body };
}

export const httpRequestNode = defineNode({
  kind: "action:http-request",
  version: 2,
  upgrades: { 1: upgradeFromV1 },
  label: "HTTP request",
  description: "Calls any HTTP API, e.g. a CRM, a shipping provider or an ERP.",
  icon: "globe",
  category: "Integrations",
  config: z.object({
    method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]).default("POST").meta({ title: "Method", description: "HTTP method." }),
    url: z
      .url({ protocol: /^https?$/, error: "enter a full http:// or https:// URL" })
      .max(2_000)
      .default("https://example.com/webhook")
      .meta({
        title: "URL",
        description: "The address to call; {{ expressions }} in the path or query are filled in and URL-encoded.",
        template: true,
      }),
    headers: z
      .record(z.string(), z.string().max(8_000).meta({ title: "Value", template: true }))
      // Checked here rather than by the key schema, whose issue would only say "Invalid key in record".
      .superRefine((headers, ctx) => {
        for (const name of Object.keys(headers)) {
          if (!HEADER_NAME.test(name)) ctx.addIssue({ code: "custom", path: [name], message: `"${name}" is not a valid header name` });
        }
      })
      .default({})
      .meta({ title: "Headers", description: "Extra request headers; values may contain {{ expressions }}." }),
    jsonBody: expressionField('{"sku": event.data.sku}', {
      title: "JSON body",
      description: "A JSONata expression whose result is sent as JSON (not sent for GET and DELETE).",
      multiline: true,
    }),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(10_000)
      .meta({ title: "Timeout (ms)", description: "A call taking longer counts as a temporary error and is retried." }),
    retry: retryPolicyField(),
  }),
  output: z.object({
    status: z.number().int().meta({ description: "HTTP status code" }),
    headers: z.record(z.string(), z.string()).meta({ description: "Response headers, lower-case names" }),
    body: z.unknown().meta({ description: "Response body, parsed when it is JSON" }),
  }),
});
