import "server-only";
import * as z from "zod";
import { getChannel } from "@/server/channels/channel-store";
import { createChannelConnector, type ChannelRecord, type CredentialRecord } from "@/server/connectors/channels/create-connector";
import type { TokenCache } from "@/server/connectors/channels/token-cache";
import type { ChannelProduct, SyncOperation } from "@/server/connectors/channels/types";
import { readCredentialSecret } from "@/server/credentials/credential-store";
import type { PrismaClient } from "@/server/db/generated/client";
import { evaluateExpression } from "../../expressions/evaluate-expression";
import { defineExecutor, type ExecutionContext } from "../define-executor";
import { PermanentError } from "@/server/outbound/execution-errors";
import { syncChannelNode } from "./definition";
import { userMessage } from "@/server/validation/user-words";

// action:sync-channel: resolves the channel and its credential, turns the event into the
// channel's product / price / stock data (standard mapping, then the node's field mapping), lets
// the channel's connector apply it. The channel is the step's outside system (docs/decisions/0026):
// its health is recorded after each call, and outage signs coming back from the connector as
// TransientError({ systemDown }) mark it down while the runtime holds this flow's updates for the
// channel, in order, until it answers again (docs/guarantees.md §2).

/** Where the executor finds channels and credentials; the stores by default. */
export interface ChannelDirectory {
  getChannel(db: PrismaClient, id: string): Promise<ChannelRecord>;
  readCredential(db: PrismaClient, id: string): Promise<CredentialRecord>;
}

export const storeChannelDirectory: ChannelDirectory = {
  getChannel: (db, id) => getChannel(db, id),
  readCredential: (db, id) => readCredentialSecret(db, id),
};

const productSchema = z.object({
  sku: z.string().trim().min(1, "the SKU is missing (map a value to sku)").max(200),
  name: z.string().max(1000).optional(),
  description: z.string().max(100_000).optional(),
  price: z.number().finite().nonnegative().optional(),
  currency: z.string().regex(/^[A-Za-z]{3}$/, "a currency is an ISO 4217 code such as EUR").transform((c) => c.toUpperCase()).optional(),
  quantity: z.number().int("a quantity is a whole number").optional(),
  ean: z.string().regex(/^\d{8,14}$/, "an EAN has 8 to 14 digits").optional(),
  images: z.array(z.string()).optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
});

// Values a flow author may map that are numbers in the channel's eyes but often arrive as text.
const NUMERIC_FIELDS = new Set(["price", "quantity"]);

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The standard mapping: Syncline's event data fields, as the built-in event types name them. */
export function standardProduct(event: { subject: string; data: unknown }): Record<string, unknown> {
  const data = asRecord(event.data);
  const attributes = asRecord(data.attributes);
  const product: Record<string, unknown> = { sku: typeof data.sku === "string" ? data.sku : event.subject };
  for (const field of ["name", "description", "price", "currency", "quantity", "images", "attributes"]) {
    if (data[field] !== undefined) product[field] = data[field];
  }
  const ean = data.ean ?? attributes.ean ?? attributes.gtin;
  if (typeof ean === "string" || typeof ean === "number") product.ean = String(ean);
  return product;
}

export async function channelProductFor(context: Pick<ExecutionContext<{ mapping: Record<string, string> }>, "config" | "event" | "steps">, defaults: { currency?: string }): Promise<ChannelProduct> {
  const product = standardProduct(context.event);
  for (const [field, expression] of Object.entries(context.config.mapping)) {
    let value = await evaluateExpression(expression, { event: context.event, steps: context.steps });
    if (NUMERIC_FIELDS.has(field) && typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) value = Number(value);
    if (value === undefined) delete product[field];
    else product[field] = value;
  }
  if (product.currency === undefined && defaults.currency) product.currency = defaults.currency;
  const parsed = productSchema.safeParse(product);
  if (!parsed.success) {
    // Named as the form does (docs/decisions/0020): Field mapping "quantity": a quantity is a whole number.
    const issue = parsed.error.issues[0]!;
    throw new PermanentError(userMessage({ ...issue, path: ["mapping", ...(issue.path.length ? issue.path : ["sku"])] }, syncChannelNode.config));
  }
  return parsed.data;
}

export function createSyncChannelExecutor(options: { directory?: ChannelDirectory; tokens?: TokenCache; timeoutMs?: number } = {}) {
  const directory = options.directory ?? storeChannelDirectory;
  return defineExecutor(syncChannelNode, async (context) => {
    const { config } = context;
    const db = context.services.db;
    if (!db) throw new PermanentError("action:sync-channel needs the database to read its channel (services.db is missing)");
    const channel = await directory.getChannel(db, config.channelId);
    const credential = channel.credentialId ? await directory.readCredential(db, channel.credentialId) : null;
    const connector = createChannelConnector(channel, credential, { tokens: options.tokens });
    const settings = asRecord(channel.settings);
    const product = await channelProductFor(context, { currency: typeof settings.currency === "string" ? settings.currency : undefined });
    const operation: SyncOperation = config.operation;

    const outcome = await context.reach(() => connector.sync(
      { operation, product, idempotencyKey: context.idempotencyKey, ...(context.traceparent ? { traceparent: context.traceparent } : {}) },
      { allowlist: context.services.httpAllowlist, signal: context.signal, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) },
    ));
    return { output: { channelId: channel.id, operation, status: outcome.status, ...(outcome.externalId ? { externalId: outcome.externalId } : {}) } };
  }, { outsideSystem: (config) => ({ kind: "channel", id: config.channelId }) });
}

export const syncChannelExecutor = createSyncChannelExecutor();
