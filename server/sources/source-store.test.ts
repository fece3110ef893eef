import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { createSource, getSource, LAST_MESSAGE_REFRESH_MS, recordSourceConnection, recordSourceError, recordSourceLag, recordSourceMessage } from "./source-store";

// Source health as the Sources page shows it, written by the consumers (server/sources/source-runner.ts).

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe("source health", () => {
  it("is recorded without moving the source's updated time, and a busy source writes its last message at most every few seconds", async () => {
    const db = database.prisma;
    const { id } = await createSource(db, {
      name: "Orders topic",
      kind: "kafka",
      settings: { brokers: "127.0.0.1:9092", topic: "orders", groupId: "syncline" },
      mapping: { type: '"order.placed"', orderingKey: "event.data.body.orderId" },
    });
    const edited = (await db.source.findUniqueOrThrow({ where: { id } })).updatedAt;

    const t0 = new Date("2030-03-01T08:00:00Z");
    const at = (ms: number) => new Date(t0.getTime() + ms);
    await recordSourceConnection(db, id, true, 12);
    await recordSourceMessage(db, id, t0);
    await recordSourceMessage(db, id, at(LAST_MESSAGE_REFRESH_MS - 1));
    await recordSourceLag(db, id, 3);
    await recordSourceError(db, id, "broker went away", at(5));
    expect(await getSource(db, id)).toMatchObject({ connected: true, lag: 3, lastMessageAt: t0, lastErrorAt: at(5), lastError: "broker went away" });
    await recordSourceMessage(db, id, at(LAST_MESSAGE_REFRESH_MS + 1));
    expect((await getSource(db, id)).lastMessageAt).toEqual(at(LAST_MESSAGE_REFRESH_MS + 1));
    await recordSourceConnection(db, id, false);
    expect(await getSource(db, id)).toMatchObject({ connected: false, lag: 3 });

    expect((await db.source.findUniqueOrThrow({ where: { id } })).updatedAt).toEqual(edited);
  });
});
