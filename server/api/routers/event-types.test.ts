import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { callerFor, type TestCaller } from "@/server/testing/trpc-caller";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";

let database: TestDatabase;
let caller: TestCaller;

beforeAll(async () => {
  database = await createTestDatabase();
  caller = callerFor(database.prisma);
});
afterAll(async () => {
  await database?.drop();
});

const returnSchema = {
  type: "object",
  properties: {
    orderId: { type: "string", description: "Order number" },
    lines: { type: "array", items: { type: "object", properties: { sku: { type: "string" }, quantity: { type: "integer", minimum: 1 } }, required: ["sku", "quantity"] } },
  },
  required: ["orderId", "lines"],
};
const returnExample = { orderId: "ORDER-1", lines: [{ sku: "SKU-1", quantity: 1 }] };

/** The field errors a form would show: `{ jsonSchema: ["properties.a.minimum: must be a number"] }`. */
async function fieldErrors(promise: Promise<unknown>): Promise<{ code: string; fields: Record<string, string[] | undefined> }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    const cause = error.cause instanceof z.ZodError ? z.flattenError(error.cause).fieldErrors : {};
    return { code: error.code, fields: cause as Record<string, string[] | undefined> };
  }
  throw new Error("expected the call to fail");
}

describe("eventTypes router", () => {
  it("lists the built-in types with their fields and examples", async () => {
    const builtIn = await caller.eventTypes.builtIn();
    const stock = builtIn.find((t) => t.type === "stock.changed");
    expect(stock?.fields.map((f) => f.path)).toEqual(expect.arrayContaining(["event.data.sku", "event.data.quantity"]));
    expect(stock?.example).toMatchObject({ type: "stock.changed", specversion: "1.0" });
    expect(builtIn.map((t) => t.type)).not.toContain("webhook.received");
  });

  it("creates, gets, lists, updates and deletes a custom type", async () => {
    const created = await caller.eventTypes.create({ type: "com.acme.return.requested", description: "A customer asked to return items", jsonSchema: returnSchema, example: returnExample });
    expect(created).toMatchObject({ type: "com.acme.return.requested", description: "A customer asked to return items", example: returnExample, schemaProblems: [] });
    expect(created.exampleEvent).toMatchObject({ specversion: "1.0", type: "com.acme.return.requested", data: returnExample });
    expect(created.fields).toEqual(
      expect.arrayContaining([
        { path: "event.data.orderId", type: "string", required: true, description: "Order number" },
        expect.objectContaining({ path: "event.data.lines[0].quantity", type: "integer" }),
      ]),
    );

    expect((await caller.eventTypes.get({ type: "com.acme.return.requested" })).jsonSchema).toEqual(returnSchema);
    expect((await caller.eventTypes.list()).map((t) => t.type)).toContain("com.acme.return.requested");

    const updated = await caller.eventTypes.update({
      type: "com.acme.return.requested",
      description: "Changed",
      jsonSchema: { ...returnSchema, properties: { ...returnSchema.properties, reason: { type: "string" } } },
      example: { ...returnExample, reason: "too small" },
    });
    expect(updated.description).toBe("Changed");
    expect(updated.fields.map((f) => f.path)).toContain("event.data.reason");

    await caller.eventTypes.delete({ type: "com.acme.return.requested" });
    expect((await fieldErrors(caller.eventTypes.get({ type: "com.acme.return.requested" }))).code).toBe("NOT_FOUND");
    expect((await fieldErrors(caller.eventTypes.delete({ type: "com.acme.return.requested" }))).code).toBe("NOT_FOUND");
  });

  it("refuses a schema that does not compile, naming the spot", async () => {
    const { code, fields } = await fieldErrors(
      caller.eventTypes.create({ type: "com.acme.bad.schema", jsonSchema: { type: "object", properties: { qty: { type: "integer", minimum: "one" } } }, example: {} }),
    );
    expect(code).toBe("BAD_REQUEST");
    expect(fields.jsonSchema).toEqual(["properties.qty.minimum: must be a number"]);

    const unknownType = await fieldErrors(caller.eventTypes.create({ type: "com.acme.bad.schema", jsonSchema: { type: "strng" }, example: "x" }));
    expect(unknownType.fields.jsonSchema?.[0]).toMatch(/^type: must be one of/);
  });

  it("refuses an example that does not satisfy the schema", async () => {
    const { code, fields } = await fieldErrors(
      caller.eventTypes.create({ type: "com.acme.bad.example", jsonSchema: returnSchema, example: { orderId: "ORDER-1", lines: [{ sku: "SKU-1", quantity: 0 }] } }),
    );
    expect(code).toBe("BAD_REQUEST");
    expect(fields.example).toEqual([expect.stringMatching(/^lines\.0\.quantity: does not match the schema: /)]);
    expect((await caller.eventTypes.list()).map((t) => t.type)).not.toContain("com.acme.bad.example");
  });

  it("refuses invalid names, built-in names and duplicates", async () => {
    const invalid = await fieldErrors(caller.eventTypes.create({ type: "has spaces", jsonSchema: true, example: 1 }));
    expect(invalid.fields.type?.[0]).toMatch(/looks like/);

    const builtIn = await fieldErrors(caller.eventTypes.create({ type: "stock.changed", jsonSchema: true, example: 1 }));
    expect(builtIn.fields.type?.[0]).toMatch(/built-in/);
    const system = await fieldErrors(caller.eventTypes.create({ type: "schedule.tick", jsonSchema: true, example: 1 }));
    expect(system.fields.type?.[0]).toMatch(/Syncline itself/);

    await caller.eventTypes.create({ type: "com.acme.once", jsonSchema: true, example: 1 });
    const duplicate = await fieldErrors(caller.eventTypes.create({ type: "com.acme.once", jsonSchema: true, example: 1 }));
    expect(duplicate.code).toBe("CONFLICT");
    expect(duplicate.fields.type).toEqual(['an event type named "com.acme.once" already exists']);
  });

  it("validates updates like creations and 404s an unknown type", async () => {
    await caller.eventTypes.create({ type: "com.acme.editable", jsonSchema: { type: "object" }, example: {} });
    const bad = await fieldErrors(caller.eventTypes.update({ type: "com.acme.editable", jsonSchema: { type: "object", required: ["a"] }, example: {} }));
    expect(bad.fields.example).toEqual(["a: does not match the schema: required"]);
    expect((await fieldErrors(caller.eventTypes.update({ type: "com.acme.nothing", jsonSchema: true, example: 1 }))).code).toBe("NOT_FOUND");
  });

  it("stores null examples for schemas that allow null", async () => {
    const created = await caller.eventTypes.create({ type: "com.acme.heartbeat", jsonSchema: { type: "null" }, example: null });
    expect(created.example).toBeNull();
  });
});
