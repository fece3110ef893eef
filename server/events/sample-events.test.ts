import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { compileJsonSchema, schemaIssues } from "./event-schema-registry";
import { builtInEventTypeNames, builtInEventTypes } from "./event-types";
import { generateSampleEvent, recentEventsOfType, testEventSamples } from "./sample-events";

// The test-event button's samples: generated from the type's schema, valid for it, and with values
// that look like a shop's (not "lorem" strings where a SKU or a price belongs).

describe("generated sample events", () => {
  for (const type of builtInEventTypeNames) {
    it(`${type}: valid for its schema`, async () => {
      for (let i = 0; i < 5; i++) {
        const sample = await generateSampleEvent(type);
        expect(schemaIssues(builtInEventTypes[type].data, sample.data, "data")).toEqual([]);
        expect(sample.subject).not.toBe("");
      }
    });
  }

  it("has realistic sku, price, currency, quantity and orderId values", async () => {
    const price = (await generateSampleEvent("price.changed")).data as { sku: string; price: number; currency: string };
    expect(price.sku).toMatch(/^SKU-\d{4}$/);
    expect(price.price).toBeGreaterThanOrEqual(5);
    // At most two decimals (price * 100 is not exact in floating point: 12.35 * 100 = 1234.9999…).
    expect(Number(price.price.toFixed(2))).toBe(price.price);
    expect(["EUR", "USD", "GBP", "SEK", "CHF"]).toContain(price.currency);
    const order = await generateSampleEvent("order.placed");
    const data = order.data as { orderId: string; lines: { quantity: number }[] };
    expect(data.orderId).toMatch(/^ORDER-/);
    expect(order.subject).toBe(data.orderId);
    expect(data.lines.length).toBeGreaterThan(0);
    for (const line of data.lines) expect(Number.isInteger(line.quantity) && line.quantity >= 1 && line.quantity <= 12).toBe(true);
  });

  it("different samples on each press", async () => {
    const skus = new Set(await Promise.all(Array.from({ length: 5 }, async () => ((await generateSampleEvent("stock.changed")).data as { sku: string }).sku)));
    expect(skus.size).toBeGreaterThan(1);
  });

  it("custom types: generated from the registered JSON Schema", async () => {
    const jsonSchema = {
      type: "object",
      required: ["sku", "reason", "quantity"],
      properties: { sku: { type: "string" }, reason: { enum: ["damaged", "wrong size"] }, quantity: { type: "integer", minimum: 1 } },
      additionalProperties: false,
    };
    const compiled = compileJsonSchema(jsonSchema);
    if (!compiled.ok) throw new Error("schema did not compile");
    const sample = await generateSampleEvent("com.acme.return.requested", { customSchema: jsonSchema });
    expect(schemaIssues(compiled.schema, sample.data, "")).toEqual([]);
    expect((sample.data as { sku: string }).sku).toMatch(/^SKU-/);
  });

  it("schedule triggers fire now; webhook triggers get a body", async () => {
    const tick = (await generateSampleEvent("schedule.tick")).data as { scheduledTime: string };
    expect(Math.abs(Date.parse(tick.scheduledTime) - Date.now())).toBeLessThan(60_000);
    const hook = (await generateSampleEvent("webhook.received")).data as { body: unknown; method: string };
    expect(hook.method).toBe("POST");
    expect(hook.body).toBeDefined();
  });
});

describe("recent events of a type", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("lists the last 20 production events, newest first, once each, without test runs", async () => {
    const base = Date.parse("2026-11-01T00:00:00Z");
    const row = (i: number, extra: { test?: boolean; eventId?: string } = {}) => ({
      flowId: "f", flowVersion: 1, eventId: extra.eventId ?? `e${i}`, eventType: "stock.changed", orderingKey: `SKU-${i}`, status: "succeeded",
      traceId: "t", sequence: BigInt(i), startedAt: new Date(base + i * 1000), test: extra.test ?? false,
      event: { specversion: "1.0", id: `e${i}`, type: "stock.changed", source: "erp", subject: `SKU-${i}`, data: { sku: `SKU-${i}`, quantity: i } },
    });
    await database.prisma.run.createMany({
      data: [
        ...Array.from({ length: 25 }, (_, i) => row(i)),
        row(30, { eventId: "e24" }), // the same event in a second flow
        row(40, { test: true }),
      ],
    });
    const recent = await recentEventsOfType(database.prisma, "stock.changed");
    expect(recent).toHaveLength(20);
    expect(recent[0]).toMatchObject({ eventId: "e24", subject: "SKU-30" });
    expect(recent.map((e) => e.eventId)).not.toContain("e40");
    expect(new Set(recent.map((e) => e.eventId)).size).toBe(20);
    expect(recent[1]!.data).toEqual({ sku: "SKU-23", quantity: 23 });

    const both = await testEventSamples(database.prisma, "stock.changed");
    expect(both.recent).toHaveLength(20);
    await expect(testEventSamples(database.prisma, "no.such.type")).rejects.toThrow(/register it under Event types/);
  });
});
