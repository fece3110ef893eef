import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { callerFor, type TestCaller } from "@/server/testing/trpc-caller";
import { closeSharedNats } from "@/server/nats/connection";

// The deadLetters router as the UI calls it: inspect, redrive (edited or not, one or many),
// discard, with refusals as tRPC codes.

let database: TestDatabase;
let caller: TestCaller;
const flowId = randomUUID();

beforeAll(async () => {
  // Redrives notify workers over the shared NATS connection: point it at the local server under a
  // prefix of our own, so no worker of another run reacts.
  process.env.NATS_URL ??= "nats://127.0.0.1:4222";
  process.env.SYNCLINE_PREFIX = `t${randomBytes(4).toString("hex")}`;
  database = await createTestDatabase();
  caller = callerFor(database.prisma);
});
afterAll(async () => {
  await closeSharedNats();
  await database?.drop();
});

let sequence = 0n;
async function letter(subject = "SKU-9", status = "open") {
  sequence += 1n;
  const event = { specversion: "1.0", id: `evt-${randomUUID()}`, source: "pim", type: "product.created", subject, data: { sku: subject, name: "Mug" } };
  return database.prisma.deadLetter.create({
    data: {
      flowId, flowVersion: 1, nodeId: "translate", orderingKey: subject, eventId: event.id, eventType: event.type, event,
      error: "DeepL: 456 quota exceeded", traceId: "t", sequence, partition: 0, status,
    },
  });
}

async function code(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TRPCError);
  return (error as TRPCError).code;
}

describe("deadLetters router", () => {
  it("lists and gets letters", async () => {
    const row = await letter("SKU-list");
    const { deadLetters } = await caller.deadLetters.list({ subject: "SKU-list" });
    expect(deadLetters.map((d) => d.id)).toEqual([row.id]);
    expect((await caller.deadLetters.get({ id: row.id })).event).toEqual(row.event);
    expect(await code(caller.deadLetters.get({ id: "missing" }))).toBe("NOT_FOUND");
  });

  it("redrives with an edited payload once, then refuses with CONFLICT", async () => {
    const row = await letter();
    const edited = { ...(row.event as object), data: { sku: "SKU-9", name: "Mug (blue)" } };
    expect((await caller.deadLetters.redrive({ id: row.id, event: edited })).status).toBe("redrive-requested");
    expect((await caller.deadLetters.get({ id: row.id })).event).toEqual(edited);
    expect(await code(caller.deadLetters.redrive({ id: row.id }))).toBe("CONFLICT");
  });

  it("refuses an edit that changes the subject, naming the field", async () => {
    const row = await letter();
    const error = await caller.deadLetters.redrive({ id: row.id, event: { ...(row.event as object), subject: "SKU-other" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    expect((error as TRPCError).message).toMatch(/event\.subject/);
  });

  it("redrives many and discards", async () => {
    const a = await letter("SKU-many");
    const b = await letter("SKU-many");
    expect((await caller.deadLetters.redriveMany({ ids: [a.id] })).requested).toEqual([a.id]);
    expect((await caller.deadLetters.redriveMany({ flowId, subject: "SKU-many" })).requested).toEqual([b.id]);
    expect(await code(caller.deadLetters.redriveMany({}))).toBe("BAD_REQUEST");
    expect((await caller.deadLetters.discard({ id: a.id })).status).toBe("discarded");
    expect(await code(caller.deadLetters.discard({ id: a.id }))).toBe("CONFLICT");
  });
});
