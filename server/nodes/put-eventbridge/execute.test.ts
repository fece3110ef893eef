import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { createCredential } from "@/server/credentials/credential-store";
import { FakeEventBridge } from "@/server/connectors/aws/testing/fake-eventbridge";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { executionContext } from "../testing/execution-context";
import { putEventBridgeNode } from "./definition";
import { putEventBridgeExecutor } from "./execute";
import { recordOutboundCalls } from "@/server/outbound/dry-run";

// The AWS SDK's PutEvents against a local EventBridge that verifies SigV4 (re-signing with
// @smithy/signature-v4) and can fail single entries.

const KEY = Buffer.alloc(32, 6);
process.env.SYNCLINE_SECRET_KEY = KEY.toString("base64");
const AWS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };

let database: TestDatabase;
let fake: FakeEventBridge;
let credentialId: string;
let wrongKeyId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await new FakeEventBridge(AWS, "eu-west-1").start();
  credentialId = (await createCredential(database.prisma, { name: "AWS", type: "aws", secret: AWS, settings: { region: "eu-west-1", endpoint: fake.origin } }, { key: KEY })).id;
  wrongKeyId = (await createCredential(database.prisma, { name: "AWS wrong", type: "aws", secret: { ...AWS, secretAccessKey: "not-the-secret" }, settings: { region: "eu-west-1", endpoint: fake.origin } }, { key: KEY })).id;
}, 60_000);
afterAll(async () => {
  await fake?.stop();
  await database?.drop();
});

const context = (config: Record<string, unknown> = {}) =>
  executionContext(putEventBridgeNode, { credentialId, eventBusName: "shop-bus", source: "com.acme.syncline", ...config }, {
    event: { specversion: "1.0", id: "evt-9", type: "stock.changed", source: "erp", subject: "SKU-9", data: { sku: "SKU-9", quantity: 2 } },
    services: { httpAllowlist: [], db: database.prisma },
  });

describe("put event on EventBridge", () => {
  it("puts a signed entry with detail-type, source and detail", async () => {
    fake.failEntry = () => undefined;
    const ctx = context();
    const result = await putEventBridgeExecutor.execute(ctx);
    expect(result.output.eventId).not.toBe("");
    const call = fake.requests.at(-1)!;
    expect(call.signatureValid).toBe(true);
    expect(call.entries).toEqual([{ EventBusName: "shop-bus", Source: "com.acme.syncline", DetailType: "stock.changed", Detail: JSON.stringify({ sku: "SKU-9", quantity: 2, syncline: { idempotencyKey: ctx.idempotencyKey } }) }]);
  });

  it("in a dry run puts nothing and records the PutEvents call it would make", async () => {
    const before = fake.requests.length;
    const ctx = context();
    const { requests } = await recordOutboundCalls(() => putEventBridgeExecutor.execute(ctx));
    expect(fake.requests.length).toBe(before);
    expect(requests).toEqual([expect.objectContaining({
      method: "POST", url: `${fake.origin}/`, idempotencyKey: ctx.idempotencyKey,
      body: { Entries: [{ EventBusName: "shop-bus", Source: "com.acme.syncline", DetailType: "stock.changed", Detail: JSON.stringify({ sku: "SKU-9", quantity: 2, syncline: { idempotencyKey: ctx.idempotencyKey } }) }] },
    })]);
    expect(JSON.stringify(requests)).not.toContain(AWS.secretAccessKey);
  });

  it("fails for good when the signature is wrong", async () => {
    await expect(putEventBridgeExecutor.execute(context({ credentialId: wrongKeyId }))).rejects.toBeInstanceOf(PermanentError);
    expect(fake.requests.at(-1)!.signatureValid).toBe(false);
  });

  it("retries an entry EventBridge throttled, and dead-letters one it rejected", async () => {
    fake.failEntry = () => ({ code: "ThrottlingException", message: "Rate exceeded" });
    await expect(putEventBridgeExecutor.execute(context())).rejects.toBeInstanceOf(TransientError);
    fake.failEntry = () => ({ code: "MalformedDetail", message: "Detail is malformed." });
    const failure = putEventBridgeExecutor.execute(context());
    await expect(failure).rejects.toBeInstanceOf(PermanentError);
    await expect(failure).rejects.toThrow(/MalformedDetail/);
    fake.failEntry = () => undefined;
  });

  it("treats a bus that does not answer as an outage (retried)", async () => {
    await fake.stop();
    try {
      const failure = putEventBridgeExecutor.execute(context());
      await expect(failure).rejects.toBeInstanceOf(TransientError);
      await expect(failure).rejects.toMatchObject({ systemDown: true });
    } finally {
      await fake.start();
    }
  });
});
