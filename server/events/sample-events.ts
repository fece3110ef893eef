import "server-only";
import { faker } from "@faker-js/faker";
import { generate, type JsonSchema } from "json-schema-faker";
import * as z from "zod";
import type { PrismaClient } from "@/server/db/generated/client";
import { NotFoundError } from "@/server/domain-errors";
import { compileJsonSchema, schemaIssues } from "./event-schema-registry";
import { getKnownEventType, systemEventTypes } from "./event-types";

// Sample events for the test-event button: data generated from the type's schema (json-schema-faker
// walks the schema, @faker-js/faker fills in values), so a sample always has the type's shape and
// realistic values for the fields e-commerce flows look at (sku, price, currency, quantity,
// orderId, …). Built-in types export their zod schema as JSON Schema (zod 4's toJSONSchema);
// custom types use their registered JSON Schema. Plus the last real events of the type to pick from.

type Schema = Record<string, unknown>;

/** faker generators by property name, used where the schema leaves the value open (no enum, const or pattern). */
const BY_NAME: Record<string, unknown> = {
  sku: { "helpers.replaceSymbols": ["SKU-####"] },
  orderId: { "helpers.replaceSymbols": ["ORDER-2026####-####"] },
  price: { "commerce.price": [{ min: 5, max: 400, dec: 2 }] },
  previousPrice: { "commerce.price": [{ min: 5, max: 400, dec: 2 }] },
  currency: { "helpers.arrayElement": [["EUR", "USD", "GBP", "SEK", "CHF"]] },
  quantity: { "number.int": [{ min: 1, max: 12 }] },
  description: "commerce.productDescription",
  email: "internet.email",
  warehouse: { "helpers.replaceSymbols": ["???-#"] },
  color: "color.human",
  material: "commerce.productMaterial",
};

/** A copy of `schema` with faker hints on the properties named in BY_NAME. */
function withFakerHints(schema: unknown, parent?: string): unknown {
  if (Array.isArray(schema)) return schema.map((s) => withFakerHints(s, parent));
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties" && typeof value === "object" && value !== null) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, hinted(name, withFakerHints(child, name), parent)]));
    } else if (typeof value === "object" && value !== null) {
      out[key] = withFakerHints(value, key === "items" ? parent : key);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function hinted(name: string, child: unknown, parent: string | undefined): unknown {
  if (typeof child !== "object" || child === null) return child;
  const s = child as Schema;
  if (s.enum !== undefined || s.const !== undefined || s.faker !== undefined) return child;
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (name === "name" && type === "string") return { ...s, faker: parent === "customer" ? "person.fullName" : "commerce.productName" };
  if (name === "images" && type === "array") return { ...s, minItems: 1, maxItems: 2, items: { ...(s.items as Schema), faker: { "image.url": [{ width: 800, height: 800 }] } } };
  if (name === "id" && parent === "customer") return { ...s, faker: { "helpers.replaceSymbols": ["C-####"] } };
  const generator = BY_NAME[name];
  if (generator === undefined || (s.pattern !== undefined && name !== "currency")) return child;
  return { ...s, faker: generator };
}

function dataSchemaOf(type: string, custom: unknown): { jsonSchema: unknown; validator: z.ZodType } | undefined {
  const known = getKnownEventType(type);
  if (known) return { jsonSchema: z.toJSONSchema(known.data, { io: "input", unrepresentable: "any" }), validator: known.data };
  if (custom === undefined) return undefined;
  const compiled = compileJsonSchema(custom);
  return compiled.ok ? { jsonSchema: custom, validator: compiled.schema } : undefined;
}

export interface SampleEvent {
  subject: string;
  data: unknown;
}

/**
 * Generates data for `type` from its schema; tries a few seeds until the result validates, and
 * falls back to the type's example. Webhook and schedule events: the example body, a tick due now.
 */
export async function generateSampleEvent(type: string, opts: { customSchema?: unknown; customExample?: unknown; seed?: number } = {}): Promise<SampleEvent> {
  if (type === "schedule.tick") {
    const example = systemEventTypes["schedule.tick"].example;
    return { subject: example.subject, data: { ...(example.data as object), scheduledTime: new Date().toISOString() } };
  }
  if (type === "webhook.received") {
    const example = systemEventTypes["webhook.received"].example;
    return { subject: example.subject, data: example.data };
  }
  const schema = dataSchemaOf(type, opts.customSchema);
  const fallback = (getKnownEventType(type)?.example.data ?? opts.customExample) as unknown;
  if (!schema) return { subject: subjectOf(fallback), data: fallback ?? {} };
  const hinted = withFakerHints(schema.jsonSchema) as JsonSchema;
  const seed = opts.seed ?? faker.number.int({ min: 1, max: 2 ** 31 });
  faker.seed(seed);
  for (let attempt = 0; attempt < 5; attempt++) {
    const data = await generate(hinted, { seed: seed + attempt, extensions: { faker }, alwaysFakeOptionals: true, maxItems: 3 }).catch(() => undefined);
    if (data !== undefined && schemaIssues(schema.validator, data, "").length === 0) return { subject: subjectOf(data), data };
  }
  return { subject: subjectOf(fallback), data: fallback ?? {} };
}

/** The ordering key a sender would most likely use: the SKU, else the order id, else a made-up key. */
function subjectOf(data: unknown): string {
  const record = typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {};
  for (const key of ["sku", "orderId", "id"]) if (typeof record[key] === "string" && record[key]) return record[key] as string;
  return `test-${faker.string.alphanumeric(6)}`;
}

export interface RecentEvent {
  eventId: string;
  subject: string;
  receivedAt: Date;
  data: unknown;
}

/** The last `limit` production events of `type` that reached a flow, newest first, one per event id. */
export async function recentEventsOfType(db: PrismaClient, type: string, limit = 20): Promise<RecentEvent[]> {
  const rows = await db.run.findMany({
    where: { eventType: type, test: false },
    orderBy: [{ startedAt: "desc" }, { id: "desc" }],
    take: limit * 5,
    select: { eventId: true, orderingKey: true, startedAt: true, event: true },
  });
  const seen = new Set<string>();
  const events: RecentEvent[] = [];
  for (const row of rows) {
    if (seen.has(row.eventId) || row.event === null) continue;
    seen.add(row.eventId);
    events.push({ eventId: row.eventId, subject: row.orderingKey, receivedAt: row.startedAt, data: (row.event as { data?: unknown }).data ?? null });
    if (events.length >= limit) break;
  }
  return events;
}

/** A sample and the recent events for `type` (a custom type's schema read from the registry). */
export async function testEventSamples(db: PrismaClient, type: string): Promise<{ sample: SampleEvent; recent: RecentEvent[] }> {
  let customSchema: unknown;
  let customExample: unknown;
  if (!getKnownEventType(type)) {
    const row = await db.eventType.findUnique({ where: { type }, select: { jsonSchema: true, example: true } });
    if (!row) throw new NotFoundError(`No event type "${type}": register it under Event types.`);
    customSchema = row.jsonSchema;
    customExample = row.example;
  }
  const [sample, recent] = await Promise.all([generateSampleEvent(type, { customSchema, customExample }), recentEventsOfType(db, type)]);
  return { sample, recent };
}
