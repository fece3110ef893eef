import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createPrismaClient } from "@/server/db/client";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import {
  compileJsonSchema,
  createEventSchemaRegistry,
  reservedEventTypeReason,
  SchemaRegistryUnavailableError,
  schemaIssues,
} from "./event-schema-registry";
import { MAX_PATTERN_INPUT_LENGTH } from "./json-schema-validator";

// The schema registry against a real database: built-in types never touch it, custom types are
// read once per TTL, and JSON Schemas are checked precisely enough to point at the broken keyword.

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

const returnSchema = {
  type: "object",
  properties: {
    orderId: { type: "string", minLength: 1 },
    quantity: { type: "integer", minimum: 1 },
    reason: { type: "string", enum: ["damaged", "wrong-size", "other"] },
  },
  required: ["orderId", "quantity"],
  additionalProperties: false,
};

async function register(type: string, jsonSchema: unknown) {
  await database.prisma.eventType.create({ data: { type, jsonSchema: jsonSchema as object, example: {} } });
}

describe("compileJsonSchema", () => {
  it("compiles a draft 2020-12 schema into a validator with field-level issues", () => {
    const compiled = compileJsonSchema(returnSchema);
    expect(compiled.ok).toBe(true);
    if (!compiled.ok) return;
    expect(schemaIssues(compiled.schema, { orderId: "A-1", quantity: 2, reason: "damaged" }, "data")).toEqual([]);
    const issues = schemaIssues(compiled.schema, { quantity: 0, reason: "bored", extra: true }, "data");
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: "data.orderId", message: "required" },
        expect.objectContaining({ path: "data.quantity" }),
        expect.objectContaining({ path: "data.reason" }),
        expect.objectContaining({ path: "data", message: expect.stringMatching(/extra/) }),
      ]),
    );
  });

  it("points at malformed keywords instead of silently ignoring them", () => {
    const cases: [unknown, string][] = [
      [{ type: "strng" }, "type"],
      [{ type: "object", properties: 5 }, "properties"],
      [{ type: "object", properties: { qty: { type: "integer", minimum: "one" } } }, "properties.qty.minimum"],
      [{ type: "object", required: "qty" }, "required"],
      [{ type: "string", pattern: "([" }, "pattern"],
      [{ type: "array", items: { type: "object", properties: { sku: { maxLength: -1 } } } }, "items.properties.sku.maxLength"],
      [{ anyOf: [] }, "anyOf"],
      [5, ""],
      [null, ""],
    ];
    for (const [schema, path] of cases) {
      const compiled = compileJsonSchema(schema);
      expect(compiled.ok, JSON.stringify(schema)).toBe(false);
      if (!compiled.ok) expect(compiled.issues.map((i) => i.path), JSON.stringify(schema)).toContain(path);
    }
  });

  it("enforces if/then and not, and refuses a schema whose $ref cannot be resolved", () => {
    const conditional = compileJsonSchema({ type: "object", if: { properties: { kind: { const: "box" } } }, then: { required: ["size"] }, not: { required: ["forbidden"] } });
    expect(conditional.ok).toBe(true);
    if (!conditional.ok) return;
    expect(schemaIssues(conditional.schema, { kind: "box", size: 2 }, "data")).toEqual([]);
    expect(schemaIssues(conditional.schema, { kind: "box" }, "data")).toEqual(expect.arrayContaining([{ path: "data.size", message: "required" }]));
    expect(schemaIssues(conditional.schema, { kind: "bag", forbidden: 1 }, "data")).not.toEqual([]);
    const missing = compileJsonSchema({ $ref: "#/$defs/missing" });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.issues[0]?.message).toMatch(/cannot be used/);
  });

  it("checks oneOf as exactly one, not as anyOf", () => {
    const compiled = compileJsonSchema({ oneOf: [{ type: "integer" }, { type: "number", minimum: 0 }] });
    expect(compiled.ok).toBe(true);
    if (!compiled.ok) return;
    expect(schemaIssues(compiled.schema, -1, "data")).toEqual([]);
    expect(schemaIssues(compiled.schema, 0.5, "data")).toEqual([]);
    // 3 matches both branches: valid under anyOf, invalid under oneOf.
    expect(schemaIssues(compiled.schema, 3, "data")).toEqual(expect.arrayContaining([{ path: "data", message: "must match exactly one schema in oneOf" }]));
  });

  it("matches patterns in linear time: a catastrophic pattern answers at once", () => {
    const compiled = compileJsonSchema({ type: "object", properties: { sku: { type: "string", pattern: "^(a|a)+$" } } });
    expect(compiled.ok).toBe(true);
    if (!compiled.ok) return;
    // A backtracking engine needs 2^40 steps for this; the test would time out.
    expect(schemaIssues(compiled.schema, { sku: `${"a".repeat(40)}!` }, "data")).toEqual([{ path: "data.sku", message: "must match the pattern ^(a|a)+$" }]);
    expect(schemaIssues(compiled.schema, { sku: "aaaa" }, "data")).toEqual([]);
  });

  it("does not test strings beyond the cap against a pattern, and says so", () => {
    const compiled = compileJsonSchema({ type: "object", properties: { note: { type: "string", pattern: "^a*$" } } });
    expect(compiled.ok).toBe(true);
    if (!compiled.ok) return;
    expect(schemaIssues(compiled.schema, { note: "a".repeat(MAX_PATTERN_INPUT_LENGTH) }, "data")).toEqual([]);
    expect(schemaIssues(compiled.schema, { note: "a".repeat(MAX_PATTERN_INPUT_LENGTH + 1) }, "data")).toEqual([
      { path: "data.note", message: "is 10,001 characters long; at most 10,000 can be checked against the pattern ^a*$" },
    ]);
  });

  it("refuses patterns that need a backtracking engine when the schema is registered", () => {
    const compiled = compileJsonSchema({ type: "string", pattern: "^(a)\\1$" });
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) expect(compiled.issues).toEqual([{ path: "pattern", message: expect.stringMatching(/not a supported regular expression.*backreferences/) }]);
  });

  it("enforces `required` names missing from `properties` and object keywords without `type`", () => {
    const compiled = compileJsonSchema({ required: ["sku", "warehouse"], properties: { sku: { type: "string" } } });
    expect(compiled.ok).toBe(true);
    if (!compiled.ok) return;
    expect(schemaIssues(compiled.schema, { sku: "A" }, "data")).toEqual([{ path: "data.warehouse", message: "required" }]);
    expect(schemaIssues(compiled.schema, { sku: "A", warehouse: "AMS" }, "data")).toEqual([]);
  });

  it("accepts $defs references, unions, formats and boolean schemas", () => {
    const compiled = compileJsonSchema({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $defs: { sku: { type: "string", pattern: "^SKU-[0-9]+$" } },
      type: "object",
      properties: {
        skus: { type: "array", items: { $ref: "#/$defs/sku" }, minItems: 1 },
        contact: { type: ["string", "null"], format: "email" },
        anything: true,
      },
    });
    expect(compiled.ok).toBe(true);
    if (!compiled.ok) return;
    expect(schemaIssues(compiled.schema, { skus: ["SKU-1"], contact: null, anything: [1] }, "data")).toEqual([]);
    expect(schemaIssues(compiled.schema, { skus: ["nope"], contact: "x" }, "data").map((i) => i.path)).toEqual(
      expect.arrayContaining(["data.skus.0", "data.contact"]),
    );
    expect(compileJsonSchema(true).ok).toBe(true);
  });
});

describe("reservedEventTypeReason", () => {
  it("names built-in and system types, and nothing else", () => {
    expect(reservedEventTypeReason("stock.changed")).toMatch(/built-in/);
    expect(reservedEventTypeReason("webhook.received")).toMatch(/Syncline itself/);
    expect(reservedEventTypeReason("return.requested")).toBeUndefined();
    expect(reservedEventTypeReason("constructor")).toBeUndefined();
  });
});

describe("event schema registry", () => {
  it("validates built-in types without the database", async () => {
    const broken = createPrismaClient("postgresql://postgres@127.0.0.1:5432/syncline_no_such_database_for_registry");
    try {
      const registry = createEventSchemaRegistry({ db: () => broken });
      expect(await registry.validate("stock.changed", { sku: "SKU-1", quantity: 3 })).toEqual([]);
      expect(await registry.validate("stock.changed", { sku: "SKU-1", quantity: "three" })).toEqual([
        expect.objectContaining({ path: "data.quantity" }),
      ]);
      expect(await registry.validate("stock.changed", { quantity: 1 })).toEqual([{ path: "data.sku", message: "required" }]);
      expect(await registry.validate("schedule.tick", {})).toEqual([{ path: "type", message: expect.stringMatching(/made by Syncline itself/) }]);
    } finally {
      await broken.$disconnect();
    }
  });

  it("validates custom types from the database and names unknown ones", async () => {
    await register("com.acme.return.requested", returnSchema);
    const registry = createEventSchemaRegistry({ db: () => database.prisma });
    expect(await registry.validate("com.acme.return.requested", { orderId: "A-1", quantity: 1 })).toEqual([]);
    expect(await registry.validate("com.acme.return.requested", { orderId: "A-1", quantity: 0 })).toEqual([
      expect.objectContaining({ path: "data.quantity" }),
    ]);
    expect(await registry.validate("com.acme.unheard.of", {})).toEqual([
      { path: "type", message: 'unknown event type "com.acme.unheard.of" (register it under Event types)' },
    ]);
  });

  it("answers without waiting (validateKnown) what needs no database read: built-in types, and custom ones while cached", async () => {
    let clock = 2_000_000;
    const registry = createEventSchemaRegistry({ db: () => database.prisma, ttlMs: 5_000, now: () => clock });
    expect(registry.validateKnown("stock.changed", { quantity: 1 })).toEqual([{ path: "data.sku", message: "required" }]);
    expect(registry.validateKnown("schedule.tick", {})).toEqual([{ path: "type", message: expect.stringMatching(/made by Syncline itself/) }]);
    await register("com.acme.known.test", { type: "object", required: ["n"] });
    // Not read yet: only validate() can answer.
    expect(registry.validateKnown("com.acme.known.test", {})).toBeUndefined();
    expect(await registry.validate("com.acme.known.test", {})).toEqual([{ path: "data.n", message: "required" }]);
    expect(registry.validateKnown("com.acme.known.test", {})).toEqual([{ path: "data.n", message: "required" }]);
    expect(registry.validateKnown("com.acme.unheard.of", {})).toEqual([expect.objectContaining({ path: "type" })]);
    clock += 5_001;
    expect(registry.validateKnown("com.acme.known.test", { n: 1 })).toBeUndefined();
  });

  it("reads the database once per TTL, and again after invalidate()", async () => {
    let clock = 1_000_000;
    let queries = 0;
    const counting = database.prisma.$extends({
      query: { eventType: { findMany: ({ args, query }) => { queries++; return query(args); } } },
    }) as unknown as typeof database.prisma;
    const registry = createEventSchemaRegistry({ db: () => counting, ttlMs: 5_000, now: () => clock });

    expect(await registry.validate("com.acme.ttl.test", {})).toEqual([expect.objectContaining({ path: "type" })]);
    await register("com.acme.ttl.test", { type: "object", required: ["n"] });
    for (let i = 0; i < 20; i++) await registry.validate("com.acme.ttl.test", {});
    expect(queries).toBe(1);
    // Still inside the TTL: the new type is not seen yet.
    expect(await registry.validate("com.acme.ttl.test", { n: 1 })).toEqual([expect.objectContaining({ path: "type" })]);

    clock += 5_001;
    expect(await registry.validate("com.acme.ttl.test", { n: 1 })).toEqual([]);
    expect(queries).toBe(2);

    await database.prisma.eventType.update({ where: { type: "com.acme.ttl.test" }, data: { jsonSchema: { type: "object", required: ["m"] } } });
    registry.invalidate();
    expect(await registry.validate("com.acme.ttl.test", { n: 1 })).toEqual([{ path: "data.m", message: "required" }]);
    expect(queries).toBe(3);
  });

  it("keeps serving cached types when the database fails, and says 'unavailable' when nothing is cached", async () => {
    const broken = createPrismaClient("postgresql://postgres@127.0.0.1:5432/syncline_no_such_database_for_registry");
    try {
      const cold = createEventSchemaRegistry({ db: () => broken });
      await expect(cold.validate("com.acme.return.requested", {})).rejects.toBeInstanceOf(SchemaRegistryUnavailableError);

      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      let clock = 0;
      let useBroken = false;
      const warm = createEventSchemaRegistry({ db: () => (useBroken ? broken : database.prisma), ttlMs: 100, now: () => clock });
      expect(await warm.validate("com.acme.return.requested", { orderId: "A", quantity: 1 })).toEqual([]);
      useBroken = true;
      clock += 1_000;
      expect(await warm.validate("com.acme.return.requested", { orderId: "A", quantity: 1 })).toEqual([]);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/using the cached ones: .*does not exist/));
      warn.mockRestore();
    } finally {
      await broken.$disconnect();
    }
  });

  it("reports a stored schema that no longer compiles as a problem of the type", async () => {
    await register("com.acme.broken.schema", { type: "object", properties: { a: { type: "wat" } } });
    const registry = createEventSchemaRegistry({ db: () => database.prisma });
    expect(await registry.validate("com.acme.broken.schema", {})).toEqual([
      { path: "type", message: expect.stringMatching(/registered schema of "com.acme.broken.schema" cannot be used/) },
    ]);
  });
});
