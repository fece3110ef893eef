import { AzureKeyCredential, generateSharedAccessSignature } from "@azure/eventgrid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { createCredential } from "@/server/credentials/credential-store";
import { FakeEventGrid } from "@/server/connectors/azure/testing/fake-event-grid";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { executionContext } from "../testing/execution-context";
import { publishEventGridNode } from "./definition";
import { publishEventGridExecutor } from "./execute";

// @azure/eventgrid against a local topic endpoint that checks the access key.

const KEY = Buffer.alloc(32, 8);
process.env.SYNCLINE_SECRET_KEY = KEY.toString("base64");
const ACCESS_KEY = "eg-topic-key-0123456789";

let database: TestDatabase;
let fake: FakeEventGrid;
let credentialId: string;
let wrongId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await new FakeEventGrid(ACCESS_KEY).start();
  credentialId = (await createCredential(database.prisma, { name: "Topic", type: "eventgrid", secret: { accessKey: ACCESS_KEY }, settings: { endpoint: fake.endpoint } }, { key: KEY })).id;
  wrongId = (await createCredential(database.prisma, { name: "Topic wrong", type: "eventgrid", secret: { accessKey: "nope" }, settings: { endpoint: fake.endpoint } }, { key: KEY })).id;
}, 60_000);
afterAll(async () => {
  await fake?.stop();
  await database?.drop();
});

const context = (config: Record<string, unknown> = {}) =>
  executionContext(publishEventGridNode, { credentialId, ...config }, {
    event: { specversion: "1.0", id: "evt-7", type: "stock.changed", source: "erp", subject: "SKU-7", data: { sku: "SKU-7", quantity: 1 } },
    services: { httpAllowlist: [], db: database.prisma },
  });

describe("publish to Event Grid", () => {
  it("publishes a CloudEvent with the access key, its id the step's idempotency key", async () => {
    const ctx = context();
    await publishEventGridExecutor.execute(ctx);
    const call = fake.requests.at(-1)!;
    expect(call.key).toBe(ACCESS_KEY);
    expect(call.contentType).toMatch(/cloudevents-batch\+json/);
    expect(call.events).toMatchObject([{ specversion: "1.0", id: ctx.idempotencyKey, type: "stock.changed", subject: "SKU-7", data: { sku: "SKU-7", quantity: 1 } }]);
  });

  it("publishes in the Event Grid schema", async () => {
    await publishEventGridExecutor.execute(context({ schema: "EventGrid" }));
    expect(fake.requests.at(-1)!.events).toMatchObject([{ eventType: "stock.changed", subject: "SKU-7", dataVersion: "1.0", data: { sku: "SKU-7" } }]);
  });

  it("authenticates with a SAS token", async () => {
    const token = await generateSharedAccessSignature(fake.endpoint, new AzureKeyCredential(ACCESS_KEY), new Date(Date.now() + 3600_000));
    fake.sasToken = token;
    const sasId = (await createCredential(database.prisma, { name: "Topic SAS", type: "eventgrid", secret: { accessKey: token }, settings: { endpoint: fake.endpoint } }, { key: KEY })).id;
    await publishEventGridExecutor.execute(context({ credentialId: sasId, authentication: "sas" }));
    expect(fake.requests.at(-1)!.sasToken).toBe(token);
    expect(fake.requests.at(-1)!.key).toBeUndefined();
  });

  it("fails for good with a wrong key, and retries when the topic fails or is down", async () => {
    await expect(publishEventGridExecutor.execute(context({ credentialId: wrongId }))).rejects.toBeInstanceOf(PermanentError);
    fake.failNext(503);
    await expect(publishEventGridExecutor.execute(context())).rejects.toBeInstanceOf(TransientError);
    await fake.stop();
    try {
      await expect(publishEventGridExecutor.execute(context())).rejects.toMatchObject({ systemDown: true });
    } finally {
      await fake.start();
    }
  });
});
