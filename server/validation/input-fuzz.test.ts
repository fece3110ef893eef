import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import fc from "fast-check";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { createApiKey } from "@/server/auth/api-keys";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { apiErrorSchema } from "@/server/http-api/api-response";
import { callerFor } from "@/server/testing/trpc-caller";
import { discoverApiRoutes, routeRequester, HTTP_METHODS, type ApiRoute } from "@/server/testing/route-harness";

// Property-based fuzzing of every public HTTP route (found in app/api) and every tRPC procedure
// (found in the router): valid-looking, near-valid and hostile inputs — NUL, unpaired surrogates,
// deep nesting, huge numbers, long strings, wrong types. Every answer is a 2xx, or a 4xx in the
// documented error shape; never a 500 (503 only where documented: NATS or the database away).
// Seeded and bounded: FUZZ_SEED replays a run, FUZZ_RUNS sets the runs per target.

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const PREFIX = `test_fuzz_${randomBytes(4).toString("hex")}`;

let database: TestDatabase;
let routes: ApiRoute[];
let callRoute: ReturnType<typeof routeRequester>;

beforeAll(async () => {
  console.log(`[fuzz] seed ${SEED} (replay with FUZZ_SEED=${SEED}), ${RUNS} runs per target`);
  database = await createTestDatabase();
  Object.assign(process.env, { DATABASE_URL: database.url, NATS_URL, SYNCLINE_PREFIX: PREFIX, SYNCLINE_PARTITIONS: "2" });
  callRoute = routeRequester((await createApiKey(database.prisma, "fuzz")).key);
  // tRPC is fuzzed through its procedures below; its HTTP envelope is tRPC's own, not the API's.
  routes = (await discoverApiRoutes()).filter((route) => !route.pattern.startsWith("/api/trpc"));
});
afterAll(async () => {
  const { closeSharedNats, connectNats } = await import("@/server/nats/connection");
  const nc = await connectNats(NATS_URL, { name: "fuzz-cleanup" });
  const jsm = await jetstreamManager(nc);
  for await (const stream of jsm.streams.list()) if (stream.config.name.startsWith(PREFIX)) await jsm.streams.delete(stream.config.name);
  await nc.close();
  await closeSharedNats();
  const { db } = await import("@/server/db/client");
  await db().$disconnect();
  await database?.drop();
});

// ---------------------------------------------------------------------------------------------
// Inputs

function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  { weight: 2, arbitrary: fc.constantFrom("\u0000", "a\u0000", "\uD800", "b\uDC00") },
  fc.constantFrom("", " ", "\u0000", "SKU\u00001", "\uD800", "x\uDFFFy", "\uDBFF\uDBFF", "😀", "%E0%A4%A", "../../etc/passwd", "'; DROP TABLE flows; --", "<script>", "null", "-1", "1e309"),
  fc.constant("a".repeat(200_000)),
);
const hugeNumber = fc.oneof(
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -(2 ** 63), 2 ** 64, 1e-320, -0, 0.1),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const leaf = fc.oneof(hostileString, hugeNumber, fc.boolean(), fc.constant(null));
const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  leaf,
  fc.json({ depthSize: "small" }).map((text) => JSON.parse(text) as unknown),
  fc.tuple(fc.integer({ min: 60, max: 3_000 }), leaf).map(([depth, value]) => nested(depth, value)),
  fc.array(leaf, { maxLength: 5 }),
  fc.dictionary(hostileString, leaf, { maxKeys: 5 }),
);

type SchemaDef = { type: string; shape?: Record<string, unknown>; innerType?: unknown; in?: unknown; options?: unknown[]; entries?: Record<string, unknown>; values?: unknown[]; element?: unknown };
const defOf = (schema: unknown): SchemaDef | undefined => (schema as { _zod?: { def: SchemaDef } } | undefined)?._zod?.def;

/** A value the schema probably accepts, read off its zod definition: the base of near-valid inputs. */
function validLooking(schema: unknown, depth = 0): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  if (!def || depth > 6) return fc.constant(undefined);
  switch (def.type) {
    case "string": return fc.oneof(fc.constantFrom("SKU-1", "Stock sync", "com.acme.return.requested", "https://example.com/hook"), fc.uuid());
    case "number": case "int": return fc.integer({ min: 0, max: 50 });
    case "boolean": return fc.boolean();
    case "literal": return fc.constantFrom(...((def.values ?? [null]) as unknown[]));
    case "enum": return fc.constantFrom(...Object.values(def.entries ?? { a: "a" }));
    case "optional": case "default": case "nullable": case "prefault": case "readonly": case "catch": return validLooking(def.innerType, depth + 1);
    case "pipe": return validLooking(def.in, depth + 1);
    case "union": return fc.oneof(...(def.options ?? []).map((option) => validLooking(option, depth + 1)));
    case "array": return fc.array(validLooking(def.element, depth + 1), { maxLength: 2 });
    case "object": return fc.record(Object.fromEntries(Object.entries((schema as z.ZodObject).shape).map(([key, child]) => [key, validLooking(child, depth + 1)])));
    default: return hostileJson;
  }
}

/** Valid-looking input with one field (at any depth of the top level) replaced by something hostile. */
function nearValid(schema: unknown): fc.Arbitrary<unknown> {
  if (!(schema instanceof z.ZodObject)) return fc.oneof(validLooking(schema), hostileJson);
  const keys = Object.keys(schema.shape);
  if (keys.length === 0) return validLooking(schema);
  return fc.tuple(validLooking(schema), fc.constantFrom(...keys), fc.oneof(leaf, hostileJson)).map(([value, key, bad]) => ({ ...(value as object), [key]: bad }));
}

function eventLike(): fc.Arbitrary<unknown> {
  return fc.record({
    specversion: fc.oneof(fc.constant("1.0"), leaf),
    id: fc.oneof(fc.uuid(), hostileString),
    source: fc.oneof(fc.constant("erp"), hostileString),
    type: fc.oneof(fc.constantFrom("stock.changed", "price.changed", "com.acme.unknown"), hostileString),
    subject: fc.oneof(fc.constant("SKU-1"), hostileString),
    data: fc.oneof(fc.record({ sku: fc.oneof(fc.constant("SKU-1"), hostileString), quantity: fc.oneof(fc.integer({ min: 0, max: 5 }), hugeNumber, leaf) }), hostileJson),
  }, { requiredKeys: [] });
}

// ---------------------------------------------------------------------------------------------
// Properties

// 503 + Retry-After is their documented answer while NATS is away (events, hooks), the drain route answers it while CRON_SECRET is unset.
const DOCUMENTED_503 = new Set(["/api/events", "/api/health", "/api/hooks/[path]", "/api/cron/drain"]);

async function checkResponse(route: ApiRoute, response: Response): Promise<void> {
  const text = await response.text();
  const where = `${route.pattern} answered ${response.status}: ${text.slice(0, 300)}`;
  expect(response.status < 500 || (response.status === 503 && DOCUMENTED_503.has(route.pattern)), where).toBe(true);
  if (response.status >= 400 && route.pattern !== "/api/health") {
    const parsed = apiErrorSchema.safeParse(JSON.parse(text));
    expect(parsed.success, where).toBe(true);
  }
}

const fuzzOptions = () => ({ seed: SEED, numRuns: RUNS, endOnFailure: true, verbose: 1 as const });

describe("fuzzing every HTTP route", () => {
  it("answers 2xx or 4xx in the documented shape, never a 500", async () => {
    for (const route of routes) {
      for (const method of HTTP_METHODS) {
        if (!route.handlers[method]) continue;
        const params = fc.record(Object.fromEntries(route.segments.map((s) => [s.name, s.catchAll ? fc.array(hostileString, { minLength: 1, maxLength: 3 }) : fc.oneof(fc.uuid(), hostileString)])));
        const query = fc.array(fc.tuple(fc.constantFrom("flow", "subject", "status", "limit", "cursor", "id", "x"), fc.oneof(hostileString, hugeNumber.map(String))), { maxLength: 4 });
        const body = fc.oneof(
          hostileJson.map((value) => JSON.stringify(value) ?? "null"),
          eventLike().map((value) => JSON.stringify(value)),
          fc.array(eventLike(), { maxLength: 3 }).map((value) => JSON.stringify(value)),
          fc.string(),
        );
        const contentType = fc.constantFrom("application/json", "application/cloudevents+json", "application/cloudevents-batch+json", "text/plain");
        await fc.assert(
          fc.asyncProperty(params, query, body, contentType, async (p, q, b, ct) => {
            const rawQuery = q.map(([k, v]) => `${k}=${encodeURIComponent(v.replace(/\p{Cs}/gu, "\uFFFD"))}`).join("&");
            const withBody = method !== "GET" && method !== "DELETE";
            await checkResponse(route, await callRoute(route, method, { params: p as Record<string, string>, rawQuery, ...(withBody ? { body: b, contentType: ct } : {}) }));
          }),
          fuzzOptions(),
        ).catch((error: unknown) => {
          throw new Error(`${method} ${route.pattern} (FUZZ_SEED=${SEED}): ${(error as Error).message}`);
        });
      }
    }
  }, 600_000);
});

describe("fuzzing every tRPC procedure", () => {
  it("answers or refuses with a client error, never INTERNAL_SERVER_ERROR", async () => {
    const { appRouter } = await import("@/server/api/root");
    const procedures = (appRouter as unknown as { _def: { procedures: Record<string, { _def: { inputs: unknown[] } }> } })._def.procedures;
    const caller = callerFor(database.prisma) as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>;
    for (const [path, procedure] of Object.entries(procedures)) {
      const [routerName, name] = path.split(".") as [string, string];
      const call = caller[routerName]![name]!;
      const schema = procedure._def.inputs[0];
      const input = fc.oneof({ weight: 2, arbitrary: validLooking(schema) }, { weight: 4, arbitrary: nearValid(schema) }, hostileJson, fc.constant(undefined));
      await fc.assert(
        fc.asyncProperty(input, async (value) => {
          try {
            await call(value);
          } catch (error) {
            expect(error, `${path}: ${String(error)}`).toBeInstanceOf(TRPCError);
            const code = (error as TRPCError).code;
            expect(code === "INTERNAL_SERVER_ERROR" ? `${path} failed internally: ${(error as TRPCError).cause?.message ?? (error as Error).message}` : "client error").toBe("client error");
          }
        }),
        fuzzOptions(),
      ).catch((error: unknown) => {
        throw new Error(`${path} (FUZZ_SEED=${SEED}): ${(error as Error).message}`);
      });
    }
  }, 600_000);
});

describe("after fuzzing", () => {
  it("the app is still healthy", async () => {
    const health = routes.find((route) => route.pattern === "/api/health")!;
    const response = await callRoute(health, "GET");
    const report = (await response.json()) as { status: string; checks?: unknown };
    expect(JSON.stringify(report)).toMatch(/database/);
    expect(response.status).toBeLessThan(600);
    expect(await callerFor(database.prisma).flows.list()).toEqual(expect.any(Object));
  });
});
