import { randomBytes, randomUUID } from "node:crypto";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { createApiKey } from "@/server/auth/api-keys";
import { apiErrorSchema } from "@/server/http-api/api-response";
import {
  bulkRedriveResultJsonSchema,
  deadLetterDetailJsonSchema,
  deadLetterListJsonSchema,
  deadLetterSummaryJsonSchema,
} from "@/server/history/dead-letter-store";
import { controlSubject } from "@/server/runtime/stream-layout";

// The dead-letter endpoints through their route handlers, against a real database and the local
// NATS server (the control message to workers). Responses are held to the published schemas.

type Handler<P> = (req: Request, ctx: { params: Promise<P> }) => Promise<Response>;
type IdParams = { id: string };
let database: TestDatabase;
let key: string;
let routes: {
  list: Handler<Record<string, never>>;
  get: Handler<IdParams>;
  discard: Handler<IdParams>;
  redrive: Handler<IdParams>;
  redriveMany: Handler<Record<string, never>>;
};
const prefix = `t${randomBytes(4).toString("hex")}`;
let nc: NatsConnection;
const controlMessages: unknown[] = [];
const flowId = randomUUID();

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
  process.env.NATS_URL ??= "nats://127.0.0.1:4222";
  process.env.SYNCLINE_PREFIX = prefix;
  nc = await connect({ servers: process.env.NATS_URL });
  nc.subscribe(controlSubject({ prefix }, "dead-letters"), {
    callback: (_error, msg) => {
      controlMessages.push(msg.json());
    },
  });
  await nc.flush();
  key = (await createApiKey(database.prisma, "test")).key;
  routes = {
    list: (await import("@/app/api/dead-letters/route")).GET,
    get: (await import("@/app/api/dead-letters/[id]/route")).GET,
    discard: (await import("@/app/api/dead-letters/[id]/route")).DELETE,
    redrive: (await import("@/app/api/dead-letters/[id]/redrive/route")).POST,
    redriveMany: (await import("@/app/api/dead-letters/redrive/route")).POST,
  };
});
afterAll(async () => {
  const { db } = await import("@/server/db/client");
  const { closeSharedNats } = await import("@/server/nats/connection");
  await closeSharedNats();
  await nc?.close();
  await db().$disconnect();
  await database?.drop();
});

const noParams = { params: Promise.resolve({} as Record<string, never>) };
const idParams = (id: string) => ({ params: Promise.resolve({ id }) });
function request(path: string, init: { method?: string; body?: string; auth?: string | null } = {}) {
  const auth = init.auth === undefined ? `Bearer ${key}` : init.auth;
  return new Request(`http://localhost${path}`, {
    method: init.method ?? "GET",
    headers: { ...(auth ? { authorization: auth } : {}), ...(init.body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
}

async function nextControlMessage(): Promise<unknown> {
  const deadline = Date.now() + 5_000;
  while (controlMessages.length === 0) {
    if (Date.now() > deadline) throw new Error("no control message within 5 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return controlMessages.shift();
}

let sequence = 0n;
async function letter(subject = `SKU-${randomUUID().slice(0, 6)}`, status = "open", partition = 4) {
  sequence += 1n;
  const event = { specversion: "1.0", id: `evt-${randomUUID()}`, source: "erp", type: "price.changed", subject, data: { sku: subject, price: 10, currency: "EUR" } };
  return database.prisma.deadLetter.create({
    data: {
      flowId, flowVersion: 1, nodeId: "sync", orderingKey: subject, eventId: event.id, eventType: event.type, event, error: "HTTP 400 from shop",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736", sequence, partition, status,
      attempts: [{ at: "2026-04-01T08:00:00Z", error: "HTTP 400 from shop", transient: false }],
    },
  });
}

async function errorOf(response: Response, status: number) {
  expect(response.status).toBe(status);
  return apiErrorSchema.parse(await response.json()).error;
}

describe("GET /api/dead-letters", () => {
  it("lists open letters of a flow, pages with a cursor, and filters by subject and status", async () => {
    const rows = [];
    for (let i = 0; i < 5; i++) rows.push(await letter(`SKU-list-${i % 2}`));
    await letter("SKU-list-0", "discarded");

    const first = deadLetterListJsonSchema.parse(await (await routes.list(request(`/api/dead-letters?flow=${flowId}&limit=3`), noParams)).json());
    expect(first.deadLetters).toHaveLength(3);
    const second = deadLetterListJsonSchema.parse(
      await (await routes.list(request(`/api/dead-letters?flow=${flowId}&limit=3&cursor=${first.nextCursor}`), noParams)).json(),
    );
    const ids = [...first.deadLetters, ...second.deadLetters].map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(rows.map((r) => r.id)));

    const bySubject = deadLetterListJsonSchema.parse(await (await routes.list(request("/api/dead-letters?subject=SKU-list-0&status=all"), noParams)).json());
    expect(bySubject.deadLetters.map((d) => d.status).sort()).toEqual(["discarded", "open", "open", "open"]);
  });

  it("answers 400 for bad parameters and 401 without a key", async () => {
    expect((await errorOf(await routes.list(request("/api/dead-letters?status=lost"), noParams), 400)).issues?.[0]?.path).toBe("status");
    expect((await errorOf(await routes.list(request("/api/dead-letters?cursor=xyz"), noParams), 400)).issues?.[0]?.path).toBe("cursor");
    expect((await routes.list(request("/api/dead-letters", { auth: null }), noParams)).status).toBe(401);
  });
});

describe("GET /api/dead-letters/{id}", () => {
  it("returns the letter with its event and attempts, 404 when unknown", async () => {
    const row = await letter();
    const detail = deadLetterDetailJsonSchema.parse(await (await routes.get(request(`/api/dead-letters/${row.id}`), idParams(row.id))).json());
    expect(detail).toMatchObject({ id: row.id, event: row.event, attemptCount: 1, sequence: row.sequence.toString() });
    await errorOf(await routes.get(request("/api/dead-letters/nope"), idParams("nope")), 404);
  });
});

describe("POST /api/dead-letters/{id}/redrive", () => {
  it("requests a redrive without a body, tells the worker over NATS, and answers 409 the second time", async () => {
    const row = await letter(undefined, "open", 11);
    const response = await routes.redrive(request(`/api/dead-letters/${row.id}/redrive`, { method: "POST" }), idParams(row.id));
    expect(response.status).toBe(202);
    expect(deadLetterSummaryJsonSchema.parse(await response.json()).status).toBe("redrive-requested");
    expect(await nextControlMessage()).toEqual({ partition: 11, deadLetterIds: [row.id] });

    const again = await errorOf(await routes.redrive(request(`/api/dead-letters/${row.id}/redrive`, { method: "POST" }), idParams(row.id)), 409);
    expect(again.message).toMatch(/already requested/);
    await errorOf(await routes.redrive(request("/api/dead-letters/missing/redrive", { method: "POST" }), idParams("missing")), 404);
  });

  it("accepts an edited payload, and refuses one that changes the event id with 400", async () => {
    const row = await letter();
    const original = row.event as Record<string, unknown>;
    const changedId = await errorOf(
      await routes.redrive(request(`/api/dead-letters/${row.id}/redrive`, { method: "POST", body: JSON.stringify({ event: { ...original, id: "new-id" } }) }), idParams(row.id)),
      400,
    );
    expect(changedId.issues?.map((i) => i.path)).toEqual(["event.id"]);
    await errorOf(await routes.redrive(request(`/api/dead-letters/${row.id}/redrive`, { method: "POST", body: "{oops" }), idParams(row.id)), 400);
    await errorOf(await routes.redrive(request(`/api/dead-letters/${row.id}/redrive`, { method: "POST", body: '{"evnt":{}}' }), idParams(row.id)), 400);

    const edited = { ...original, data: { sku: row.orderingKey, price: 12.5, currency: "EUR" } };
    const ok = await routes.redrive(request(`/api/dead-letters/${row.id}/redrive`, { method: "POST", body: JSON.stringify({ event: edited }) }), idParams(row.id));
    expect(ok.status).toBe(202);
    await nextControlMessage();
    const detail = deadLetterDetailJsonSchema.parse(await (await routes.get(request(`/api/dead-letters/${row.id}`), idParams(row.id))).json());
    expect(detail.event).toEqual(edited);
  });

  it("treats a blank body as no edit", async () => {
    const row = await letter();
    const response = await routes.redrive(request(`/api/dead-letters/${row.id}/redrive`, { method: "POST", body: "  \n" }), idParams(row.id));
    expect(response.status).toBe(202);
    await nextControlMessage();
  });
});

describe("POST /api/dead-letters/redrive (bulk)", () => {
  it("redrives by ids and by flow + subject, and refuses an empty selection", async () => {
    const a = await letter("SKU-bulk", "open", 1);
    const b = await letter("SKU-bulk", "open", 2);
    const byIds = await routes.redriveMany(request("/api/dead-letters/redrive", { method: "POST", body: JSON.stringify({ ids: [a.id, "missing"] }) }), noParams);
    expect(byIds.status).toBe(202);
    expect(bulkRedriveResultJsonSchema.parse(await byIds.json())).toEqual({ requested: [a.id], notFound: ["missing"], notOpen: [] });
    expect(await nextControlMessage()).toEqual({ partition: 1, deadLetterIds: [a.id] });

    const byFilter = await routes.redriveMany(request("/api/dead-letters/redrive", { method: "POST", body: JSON.stringify({ flow: flowId, subject: "SKU-bulk" }) }), noParams);
    expect(bulkRedriveResultJsonSchema.parse(await byFilter.json()).requested).toEqual([b.id]);
    expect(await nextControlMessage()).toEqual({ partition: 2, deadLetterIds: [b.id] });

    await errorOf(await routes.redriveMany(request("/api/dead-letters/redrive", { method: "POST", body: "{}" }), noParams), 400);
    const both = await errorOf(
      await routes.redriveMany(request("/api/dead-letters/redrive", { method: "POST", body: JSON.stringify({ ids: [a.id], flow: flowId }) }), noParams),
      400,
    );
    expect(both.issues?.map((i) => i.path)).toEqual(["ids"]);
    expect((await routes.redriveMany(request("/api/dead-letters/redrive", { method: "POST", body: "{}", auth: null }), noParams)).status).toBe(401);
  });
});

describe("DELETE /api/dead-letters/{id}", () => {
  it("discards with 204, then answers 409; 404 when unknown; 401 without a key", async () => {
    const row = await letter();
    expect((await routes.discard(request(`/api/dead-letters/${row.id}`, { method: "DELETE", auth: null }), idParams(row.id))).status).toBe(401);
    const response = await routes.discard(request(`/api/dead-letters/${row.id}`, { method: "DELETE" }), idParams(row.id));
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
    await nextControlMessage();
    expect((await errorOf(await routes.discard(request(`/api/dead-letters/${row.id}`, { method: "DELETE" }), idParams(row.id)), 409)).message).toMatch(/discarded/);
    await errorOf(await routes.discard(request("/api/dead-letters/nope", { method: "DELETE" }), idParams("nope")), 404);
  });

  it("with ?held=discard asks the worker to drop the events held behind it; an unknown policy is a 400 naming it", async () => {
    const row = await letter();
    const bad = await errorOf(await routes.discard(request(`/api/dead-letters/${row.id}?held=both`, { method: "DELETE" }), idParams(row.id)), 400);
    expect(JSON.stringify(bad)).toMatch(/held/);
    await database.prisma.heldEvent.create({
      data: { partition: row.partition, flowId: row.flowId, flowVersion: 1, orderingKey: row.orderingKey, eventId: "held-1", event: {}, sequence: 99n, runId: "run-held-1" },
    });
    expect((await routes.discard(request(`/api/dead-letters/${row.id}?held=discard`, { method: "DELETE" }), idParams(row.id))).status).toBe(204);
    await nextControlMessage();
    expect(await database.prisma.deadLetter.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ status: "discard-requested", discardHeldThrough: 99n });
  });
});

describe("/api/openapi.json", () => {
  it("documents the run history and dead-letter endpoints with their parameters", async () => {
    const { openApiDocument } = await import("@/server/http-api/openapi");
    const paths = openApiDocument().paths as Record<string, Record<string, { parameters: { name: string; in: string; required: boolean }[]; requestBody?: { required: boolean } }>>;
    expect(paths["/api/runs"]!.get!.parameters.map((p) => p.name)).toEqual(["flow", "subject", "status", "limit", "cursor"]);
    expect(paths["/api/runs/{id}"]!.get).toBeDefined();
    expect(paths["/api/timeline"]!.get!.parameters.find((p) => p.name === "subject")).toMatchObject({ in: "query", required: true });
    expect(paths["/api/dead-letters"]!.get!.parameters.map((p) => p.name)).toEqual(["flow", "subject", "status", "limit", "cursor"]);
    expect(Object.keys(paths["/api/dead-letters/{id}"]!).sort()).toEqual(["delete", "get"]);
    expect(paths["/api/dead-letters/{id}/redrive"]!.post!.requestBody).toMatchObject({ required: false });
    expect(paths["/api/dead-letters/redrive"]!.post!.requestBody).toMatchObject({ required: true });
    expect(Object.keys(paths["/api/cron/drain"]!)).toEqual(["get"]);
    expect(JSON.stringify(paths["/api/cron/drain"]!.get)).toContain("scheduleTicksFired");
    expect(JSON.stringify(paths)).not.toContain("undefined");
  });
});
