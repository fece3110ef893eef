import { describe, expect, it } from "vitest";
import {
  builtInEventTypeNames,
  builtInEventTypes,
  cloudEventSchema,
  cloudEventSchemaFor,
  eventDataFieldPaths,
  getBuiltInEventType,
  getKnownEventType,
  systemEventTypes,
} from "./event-types";

const envelope = {
  specversion: "1.0",
  id: "evt-1",
  source: "https://erp.example.com",
  type: "stock.changed",
  subject: "SKU-1",
  data: { sku: "SKU-1", quantity: 3 },
};

describe("cloudEventSchema", () => {
  it("accepts a structured CloudEvent with time and traceparent", () => {
    const event = { ...envelope, time: "2026-03-12T10:00:00+01:00", traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" };
    expect(cloudEventSchema.parse(event)).toMatchObject(event);
  });

  it("keeps CloudEvents extension attributes", () => {
    expect(cloudEventSchema.parse({ ...envelope, tenant: "acme" })).toMatchObject({ tenant: "acme" });
  });

  it.each([
    ["specversion", { specversion: "0.3" }],
    ["subject", { subject: "" }],
    ["id", { id: "" }],
    ["id", { id: "a\r\nb" }],
    ["time", { time: "yesterday" }],
    ["traceparent", { traceparent: "00-abc-def-01" }],
    ["traceparent", { traceparent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01" }],
    ["traceparent", { traceparent: "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }],
  ])("rejects a bad %s", (field, patch) => {
    const result = cloudEventSchema.safeParse({ ...envelope, ...patch });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([field]);
  });

  it("requires the subject, which is the ordering key", () => {
    const { subject: _subject, ...withoutSubject } = envelope;
    expect(cloudEventSchema.safeParse(withoutSubject).success).toBe(false);
  });

  it("types the data of a given event type", () => {
    const schema = cloudEventSchemaFor("stock.changed", builtInEventTypes["stock.changed"].data);
    expect(schema.safeParse(envelope).success).toBe(true);
    expect(schema.safeParse({ ...envelope, data: { sku: "SKU-1", quantity: 1.5 } }).success).toBe(false);
    expect(schema.safeParse({ ...envelope, type: "price.changed" }).success).toBe(false);
  });
});

describe("built-in event types", () => {
  it("has the six types of the spec", () => {
    expect(builtInEventTypeNames).toEqual(["product.created", "product.updated", "product.deleted", "price.changed", "stock.changed", "order.placed"]);
  });

  it.each([...builtInEventTypeNames, ...(Object.keys(systemEventTypes) as (keyof typeof systemEventTypes)[])])(
    "%s has a description and a valid example",
    (type) => {
      const definition = getKnownEventType(type)!;
      expect(definition.description.length).toBeGreaterThan(10);
      expect(definition.example.type).toBe(type);
      // The example is what the editor shows and completes from: it must pass its own schema unchanged.
      expect(cloudEventSchemaFor(type, definition.data).safeParse(definition.example)).toMatchObject({ success: true, data: definition.example });
    },
  );

  it("looks up only real types", () => {
    expect(getBuiltInEventType("stock.changed")?.type).toBe("stock.changed");
    expect(getBuiltInEventType("webhook.received")).toBeUndefined();
    expect(getBuiltInEventType("constructor")).toBeUndefined();
    expect(getKnownEventType("webhook.received")?.type).toBe("webhook.received");
  });

  it("checks the data of each type", () => {
    const price = builtInEventTypes["price.changed"].data;
    expect(price.safeParse({ sku: "A", price: 10, currency: "EUR" }).success).toBe(true);
    expect(price.safeParse({ sku: "A", price: 10, currency: "euro" }).success).toBe(false);
    expect(price.safeParse({ sku: "A", price: -1, currency: "EUR" }).success).toBe(false);

    const order = builtInEventTypes["order.placed"].data;
    expect(order.safeParse({ orderId: "1", lines: [] }).success).toBe(false);
    expect(order.safeParse({ orderId: "1", lines: [{ sku: "A", quantity: 1, price: 2 }], customer: { email: "nope" } }).success).toBe(false);

    const product = builtInEventTypes["product.created"].data;
    expect(product.safeParse({ sku: "A", images: ["not a url"] }).success).toBe(false);
    // Strict: an unknown field is reported, not dropped.
    expect(product.safeParse({ sku: "A", brand: "x" }).success).toBe(false);

    const stock = builtInEventTypes["stock.changed"].data;
    expect(stock.safeParse({ sku: "A", quantity: -2 }).success).toBe(true);
  });
});

describe("eventDataFieldPaths", () => {
  it("lists the paths of order.placed, arrays included", () => {
    const paths = eventDataFieldPaths("order.placed").map((p) => p.path);
    expect(paths).toEqual([
      "event.data.orderId",
      "event.data.lines",
      "event.data.lines[0]",
      "event.data.lines[0].sku",
      "event.data.lines[0].quantity",
      "event.data.lines[0].price",
      "event.data.currency",
      "event.data.customer",
      "event.data.customer.id",
      "event.data.customer.email",
      "event.data.customer.name",
    ]);
  });

  it("gives type, description and whether a field is always there", () => {
    const paths = eventDataFieldPaths("product.created");
    expect(paths.find((p) => p.path === "event.data.sku")).toMatchObject({ type: "string", required: true });
    expect(paths.find((p) => p.path === "event.data.images")).toMatchObject({ type: "array", required: false });
    expect(paths.find((p) => p.path === "event.data.price")?.description).toMatch(/major units/);
    expect(paths.find((p) => p.path === "event.data.lines[0].quantity")).toBeUndefined();
  });

  it("is empty for an unknown type", () => {
    expect(eventDataFieldPaths("return.requested")).toEqual([]);
  });
});
