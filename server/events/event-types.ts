import * as z from "zod";
import { fieldPathsOf, type FieldPath } from "./field-paths";

// The schema registry's built-in half (docs/architecture.md): the CloudEvents envelope and a zod schema per
// built-in event type. Browser-safe: the editor uses the same schemas for completion and for the
// test-event button, the ingest endpoint for its 400s.

// W3C Trace Context: version-traceid-parentid-flags, lowercase hex; all-zero ids and version ff are invalid.
const TRACEPARENT = /^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

export const traceparentSchema = z
  .string()
  .regex(TRACEPARENT, "a traceparent looks like 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>");

/** Event type names such as `stock.changed` or `com.acme.return.requested`. */
export const eventTypeNameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9]+(?:[._\-][A-Za-z0-9]+)*$/, "an event type looks like stock.changed or com.acme.return-requested");

/**
 * CloudEvents 1.0, structured JSON mode. Unknown top-level attributes are kept, because CloudEvents
 * extensions travel there (`traceparent` is one, from the distributed-tracing extension).
 */
export const cloudEventSchema = z
  .object({
    specversion: z.literal("1.0"),
    // Becomes the JetStream Nats-Msg-Id header, so no line breaks.
    id: z.string().min(1).max(256).regex(/^[^\r\n]+$/, "an event id cannot contain line breaks"),
    source: z.string().min(1).max(1000),
    type: eventTypeNameSchema,
    /** The ordering key: events with the same subject are processed one at a time, in order. */
    subject: z.string().min(1, "subject is the ordering key (e.g. the SKU) and cannot be empty").max(1000),
    time: z.iso.datetime({ offset: true }).optional(),
    datacontenttype: z.string().max(200).optional(),
    dataschema: z.string().max(1000).optional(),
    data: z.unknown(),
    traceparent: traceparentSchema.optional(),
  })
  .loose();

export type CloudEvent = z.infer<typeof cloudEventSchema>;

/** The envelope of one event type, with its data schema in place of `unknown`. */
export function cloudEventSchemaFor<Data extends z.ZodType>(type: string, data: Data) {
  return cloudEventSchema.extend({ type: z.literal(type), data });
}

const skuSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .meta({ description: "Stock keeping unit: the product's identifier, usually the event's subject" });
const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, "a currency is an ISO 4217 code such as EUR")
  .meta({ description: "ISO 4217 currency code, e.g. EUR" });
const priceSchema = z.number().finite().nonnegative().meta({ description: "Price in major units, e.g. 19.99" });

// Built-in data schemas are strict: a field the registry does not know is an error the sender
// sees (400), not data that silently disappears. Free-form product data belongs in `attributes`.
const productEventDataSchema = z.strictObject({
  sku: skuSchema,
  name: z.string().max(1000).optional().meta({ description: "Product name" }),
  description: z.string().max(100_000).optional().meta({ description: "Product description (plain text or HTML)" }),
  price: priceSchema.optional(),
  currency: currencySchema.optional(),
  images: z
    .array(z.url({ protocol: /^https?$/ }))
    .max(100)
    .optional()
    .meta({ description: "Image URLs, first one is the main image" }),
  attributes: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ description: "Other product attributes, e.g. color, material" }),
});

const priceChangedDataSchema = z.strictObject({
  sku: skuSchema,
  price: priceSchema.meta({ description: "The new price in major units" }),
  currency: currencySchema,
  previousPrice: priceSchema.optional().meta({ description: "The price before the change" }),
});

const stockChangedDataSchema = z.strictObject({
  sku: skuSchema,
  // Negative quantities are real: backorders.
  quantity: z.number().int().meta({ description: "Units available now (negative: backordered)" }),
  warehouse: z.string().min(1).max(200).optional().meta({ description: "Warehouse the change happened in" }),
});

const orderPlacedDataSchema = z.strictObject({
  orderId: z.string().min(1).max(200).meta({ description: "Order number" }),
  lines: z
    .array(
      z.strictObject({
        sku: skuSchema,
        quantity: z.number().int().positive().meta({ description: "Units ordered" }),
        price: priceSchema.meta({ description: "Unit price in major units" }),
      }),
    )
    .min(1, "an order has at least one line")
    .max(10_000)
    .meta({ description: "Order lines" }),
  currency: currencySchema.optional(),
  customer: z
    .strictObject({
      id: z.string().max(200).optional().meta({ description: "Customer id in the shop" }),
      email: z.email().optional().meta({ description: "Customer e-mail address" }),
      name: z.string().max(500).optional().meta({ description: "Customer name" }),
    })
    .optional()
    .meta({ description: "Who placed the order" }),
});

// Events Syncline makes itself, from an inbound webhook call or a schedule. They are not accepted
// at POST /api/events, but flows started by them still get completion for `event.data`.
export const webhookReceivedDataSchema = z.object({
  method: z.string().meta({ description: "HTTP method of the call" }),
  path: z.string().meta({ description: "The webhook's path slug" }),
  headers: z.record(z.string(), z.string()).meta({ description: "Request headers, lower-case names" }),
  query: z.record(z.string(), z.string()).meta({ description: "Query string parameters" }),
  body: z.unknown().meta({ description: "Request body, parsed when it is JSON" }),
});

export const scheduleTickDataSchema = z.object({
  scheduledTime: z.iso.datetime({ offset: true }).meta({ description: "When this run was due" }),
  cron: z.string().meta({ description: "The schedule's cron expression" }),
  timezone: z.string().meta({ description: "The schedule's time zone" }),
});

export interface EventTypeDefinition<Data extends z.ZodType = z.ZodType> {
  type: string;
  description: string;
  data: Data;
  /** A complete, valid event: shown in the schema registry and sent by the test-event button. */
  example: CloudEvent;
}

function eventType<Data extends z.ZodType>(type: string, description: string, data: Data, example: { subject: string; data: z.input<Data> }): EventTypeDefinition<Data> {
  return {
    type,
    description,
    data,
    example: {
      specversion: "1.0",
      id: `example-${type}`,
      source: "https://pim.example.com",
      type,
      subject: example.subject,
      time: "2026-03-12T09:30:00Z",
      data: example.data,
    },
  };
}

export const builtInEventTypes = {
  "product.created": eventType("product.created", "A new product (SKU) was created in the PIM.", productEventDataSchema, {
    subject: "SKU-1001",
    data: {
      sku: "SKU-1001",
      name: "Merino wool sweater",
      description: "Soft, warm sweater made of 100% merino wool.",
      price: 89.95,
      currency: "EUR",
      images: ["https://images.example.com/sku-1001/front.jpg"],
      attributes: { color: "navy", material: "merino wool" },
    },
  }),
  "product.updated": eventType("product.updated", "Product details changed: name, description, images or attributes.", productEventDataSchema, {
    subject: "SKU-1001",
    data: { sku: "SKU-1001", name: "Merino wool sweater, navy", attributes: { color: "navy" } },
  }),
  "product.deleted": eventType("product.deleted", "A product was removed from the catalogue.", productEventDataSchema, {
    subject: "SKU-1001",
    data: { sku: "SKU-1001" },
  }),
  "price.changed": eventType("price.changed", "The price of a product changed, e.g. in the ERP.", priceChangedDataSchema, {
    subject: "SKU-1001",
    data: { sku: "SKU-1001", price: 69.95, currency: "EUR", previousPrice: 89.95 },
  }),
  "stock.changed": eventType("stock.changed", "The stock level of a product changed in a warehouse.", stockChangedDataSchema, {
    subject: "SKU-1001",
    data: { sku: "SKU-1001", quantity: 0, warehouse: "AMS-1" },
  }),
  "order.placed": eventType("order.placed", "A customer placed an order on a sales channel.", orderPlacedDataSchema, {
    subject: "ORDER-20260312-0042",
    data: {
      orderId: "ORDER-20260312-0042",
      lines: [
        { sku: "SKU-1001", quantity: 1, price: 89.95 },
        { sku: "SKU-2002", quantity: 2, price: 12.5 },
      ],
      currency: "EUR",
      customer: { id: "C-778", email: "ada@example.com", name: "Ada Lovelace" },
    },
  }),
} as const satisfies Record<string, EventTypeDefinition>;

export type BuiltInEventTypeName = keyof typeof builtInEventTypes;
export const builtInEventTypeNames = Object.keys(builtInEventTypes) as BuiltInEventTypeName[];

export const systemEventTypes = {
  "webhook.received": eventType("webhook.received", "An inbound webhook call to a flow's webhook trigger.", webhookReceivedDataSchema, {
    subject: "incoming",
    data: { method: "POST", path: "incoming", headers: { "content-type": "application/json" }, query: {}, body: { sku: "SKU-1001" } },
  }),
  "schedule.tick": eventType("schedule.tick", "A schedule trigger came due.", scheduleTickDataSchema, {
    subject: "schedule",
    data: { scheduledTime: "2026-03-12T09:00:00Z", cron: "0 * * * *", timezone: "UTC" },
  }),
} as const satisfies Record<string, EventTypeDefinition>;

export type SystemEventTypeName = keyof typeof systemEventTypes;

/** A built-in type that senders may publish, or undefined (custom types live in the database). */
export function getBuiltInEventType(type: string): EventTypeDefinition | undefined {
  // Object.hasOwn, so that `constructor` or `__proto__` are not event types.
  return Object.hasOwn(builtInEventTypes, type) ? builtInEventTypes[type as BuiltInEventTypeName] : undefined;
}

export function isBuiltInEventType(type: string): type is BuiltInEventTypeName {
  return Object.hasOwn(builtInEventTypes, type);
}

/** Built-in and system types: every type whose data schema is known in code. */
export function getKnownEventType(type: string): EventTypeDefinition | undefined {
  if (Object.hasOwn(systemEventTypes, type)) return systemEventTypes[type as SystemEventTypeName];
  return getBuiltInEventType(type);
}

/**
 * The paths inside `event.data` of a type with a known schema, for completion:
 * `event.data.sku`, `event.data.lines[0].quantity`, ... Empty for unknown types.
 * Pass the data schema of a custom type (registered in the UI) as `dataSchema`.
 */
export function eventDataFieldPaths(type: string, dataSchema?: z.ZodType): FieldPath[] {
  if (dataSchema) return fieldPathsOf(dataSchema, "event.data");
  const known = getKnownEventType(type);
  if (!known) return [];
  // The editor asks on every keystroke in an expression field; built-in schemas never change.
  let paths = knownFieldPaths.get(type);
  if (!paths) {
    paths = fieldPathsOf(known.data, "event.data");
    knownFieldPaths.set(type, paths);
  }
  return paths.map((path) => ({ ...path }));
}

const knownFieldPaths = new Map<string, FieldPath[]>();
