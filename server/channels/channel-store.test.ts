import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { callerFor, type TestCaller } from "@/server/testing/trpc-caller";
import { trpcError } from "@/server/testing/expect-failure";
import { NotFoundError } from "@/server/domain-errors";
import { createCredential } from "@/server/credentials/credential-store";
import {
  ChannelNotFoundError,
  ChannelValidationError,
  channelHealth,
  createChannel,
  deleteChannel,
  getChannel,
  listChannels,
  updateChannel,
} from "./channel-store";
import { recordOutsideFailure, recordOutsideSuccess, SUCCESS_REFRESH_MS } from "@/server/outside-systems/outside-system-health";

const key = randomBytes(32);
let database: TestDatabase;
let caller: TestCaller;
const previousKey = process.env.SYNCLINE_SECRET_KEY;

beforeAll(async () => {
  process.env.SYNCLINE_SECRET_KEY = key.toString("hex");
  database = await createTestDatabase();
  caller = callerFor(database.prisma);
});
afterAll(async () => {
  if (previousKey === undefined) delete process.env.SYNCLINE_SECRET_KEY;
  else process.env.SYNCLINE_SECRET_KEY = previousKey;
  await database?.drop();
});

describe("channel store", () => {
  it("creates, reads, updates and deletes a channel with its credential", async () => {
    const credential = await createCredential(
      database.prisma,
      { name: "Woo key", type: "woocommerce", secret: { consumerKey: "ck", consumerSecret: "cs" } },
      { key },
    );
    const channel = await createChannel(database.prisma, {
      name: "Woo NL",
      type: "woocommerce",
      credentialId: credential.id,
      settings: { baseUrl: "https://shop.example.nl", language: "nl", currency: "eur", fieldMapping: { name: "title" } },
    });
    expect(channel.settings).toEqual({
      baseUrl: "https://shop.example.nl",
      language: "nl",
      currency: "EUR",
      fieldMapping: { name: "title" },
    });
    expect(channel.credential).toEqual({ id: credential.id, name: "Woo key", type: "woocommerce" });
    expect((await getChannel(database.prisma, channel.id)).name).toBe("Woo NL");

    // A new host for the saved key and secret needs them entered again (and matching).
    const noSecret = await updateChannel(database.prisma, channel.id, { settings: { baseUrl: "https://attacker.example" } }).catch((e: unknown) => e);
    expect(noSecret).toBeInstanceOf(ChannelValidationError);
    expect(Object.keys((noSecret as ChannelValidationError).fieldErrors)).toEqual(["credentialSecret.consumerKey", "credentialSecret.consumerSecret"]);
    const wrongSecret = await updateChannel(database.prisma, channel.id, { settings: { baseUrl: "https://attacker.example" }, credentialSecret: { consumerKey: "ck", consumerSecret: "guess" } }).catch((e: unknown) => e);
    expect((wrongSecret as ChannelValidationError).fieldErrors).toEqual({ "credentialSecret.consumerSecret": ["This does not match the saved secret."] });
    expect((await getChannel(database.prisma, channel.id)).settings).toMatchObject({ baseUrl: "https://shop.example.nl" });
    const updated = await updateChannel(database.prisma, channel.id, { name: "Woo BE", settings: { baseUrl: "https://shop.example.be" }, credentialSecret: { consumerKey: "ck", consumerSecret: "cs" } });
    expect(updated).toMatchObject({ name: "Woo BE", credentialId: credential.id, settings: { baseUrl: "https://shop.example.be" } });
    const detached = await updateChannel(database.prisma, channel.id, { credentialId: null });
    expect(detached.credential).toBeNull();
    expect((await listChannels(database.prisma)).map((c) => c.id)).toContain(channel.id);

    await deleteChannel(database.prisma, channel.id);
    const missing = await getChannel(database.prisma, channel.id).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ChannelNotFoundError);
    expect(missing).toBeInstanceOf(NotFoundError);
  });

  it("fills defaults and validates settings and the credential type", async () => {
    const bol = await createChannel(database.prisma, { name: "Bol", type: "bolcom" });
    expect(bol.settings).toEqual({ baseUrl: "https://api.bol.com/retailer", authUrl: "https://login.bol.com/token" });

    const noShop = await createChannel(database.prisma, { name: "Shopify", type: "shopify", settings: {} }).catch((e: unknown) => e);
    expect(noShop).toBeInstanceOf(ChannelValidationError);
    expect((noShop as ChannelValidationError).fieldErrors.shopDomain?.[0]).toMatch(/shop domain/);

    const badUrl = await createChannel(database.prisma, { name: "Hook", type: "webhook", settings: { url: "nope" } }).catch((e: unknown) => e);
    expect((badUrl as ChannelValidationError).fieldErrors).toEqual({ url: ["URL must be a URL (https://…)"] });

    const deepl = await createCredential(database.prisma, { name: "DeepL", type: "deepl", secret: { apiKey: "k" } }, { key });
    const wrongType = await createChannel(database.prisma, {
      name: "Hook",
      type: "webhook",
      credentialId: deepl.id,
      settings: { url: "https://example.com/hook" },
    }).catch((e: unknown) => e);
    expect((wrongType as ChannelValidationError).fieldErrors.credentialId).toEqual(["Pick a webhook credential"]);
  });

  it("records health transitions: unknown → healthy → error → holding → healthy", async () => {
    const { id } = await createChannel(database.prisma, { name: "Amazon DE", type: "amazon", settings: { marketplaceId: "A1", sellerId: "S1" } });
    expect((await channelHealth(database.prisma))[id]).toMatchObject({ status: "unknown", holding: false, heldEvents: 0 });

    const t1 = new Date("2030-01-01T10:00:00Z");
    await recordOutsideSuccess(database.prisma, { kind: "channel", id }, t1);
    expect((await channelHealth(database.prisma))[id]).toMatchObject({ status: "healthy", lastSuccessAt: t1 });

    const t2 = new Date("2030-01-01T10:01:00Z");
    await recordOutsideFailure(database.prisma, { kind: "channel", id }, "400 invalid price", { down: false, at: t2 });
    expect((await channelHealth(database.prisma))[id]).toMatchObject({
      status: "error",
      lastError: "400 invalid price",
      lastErrorAt: t2,
      holding: false,
    });

    const t3 = new Date("2030-01-01T10:02:00Z");
    const t4 = new Date("2030-01-01T10:03:00Z");
    await recordOutsideFailure(database.prisma, { kind: "channel", id }, "connection refused", { down: true, at: t3 });
    await recordOutsideFailure(database.prisma, { kind: "channel", id }, "503", { down: true, at: t4 });
    expect((await channelHealth(database.prisma))[id]).toMatchObject({
      status: "holding",
      holding: true,
      downSince: t3, // not moved by the second failure
      lastError: "503",
      lastErrorAt: t4,
    });

    const t5 = new Date("2030-01-01T10:10:00Z");
    await recordOutsideSuccess(database.prisma, { kind: "channel", id }, t5);
    expect((await channelHealth(database.prisma))[id]).toMatchObject({
      status: "healthy",
      holding: false,
      downSince: null,
      lastSuccessAt: t5,
      lastError: "503",
    });
  });

  it("writes a success only when it changes what the pages show", async () => {
    const { id } = await createChannel(database.prisma, { name: "Busy shop", type: "webhook", settings: { url: "https://busy.example.com" } });
    const t0 = new Date("2030-02-01T10:00:00Z");
    const at = (ms: number) => new Date(t0.getTime() + ms);
    await recordOutsideSuccess(database.prisma, { kind: "channel", id }, t0);
    await recordOutsideSuccess(database.prisma, { kind: "channel", id }, at(SUCCESS_REFRESH_MS - 1));
    expect((await channelHealth(database.prisma))[id]).toMatchObject({ status: "healthy", lastSuccessAt: t0 });
    await recordOutsideSuccess(database.prisma, { kind: "channel", id }, at(SUCCESS_REFRESH_MS + 1));
    expect((await channelHealth(database.prisma))[id]).toMatchObject({ lastSuccessAt: at(SUCCESS_REFRESH_MS + 1) });
    // A failure, then a success a moment later: the success is written at once, not after the refresh time.
    await recordOutsideFailure(database.prisma, { kind: "channel", id }, "502", { down: false, at: at(SUCCESS_REFRESH_MS + 2) });
    await recordOutsideSuccess(database.prisma, { kind: "channel", id }, at(SUCCESS_REFRESH_MS + 3));
    expect((await channelHealth(database.prisma))[id]).toMatchObject({ status: "healthy", lastSuccessAt: at(SUCCESS_REFRESH_MS + 3) });
  });

  it("counts held events of flows whose published version uses the channel", async () => {
    const used = await createChannel(database.prisma, { name: "Used", type: "webhook", settings: { url: "https://a.example.com" } });
    const unused = await createChannel(database.prisma, { name: "Unused", type: "webhook", settings: { url: "https://b.example.com" } });
    const flow = await database.prisma.flow.create({ data: { name: "Sync", draft: {}, publishedVersion: 1 } });
    await database.prisma.flowVersion.create({
      data: { flowId: flow.id, version: 1, document: { nodes: [{ id: "sync", kind: "action:sync-channel", config: { channelId: used.id } }] } },
    });
    for (let i = 0; i < 3; i++) {
      await database.prisma.heldEvent.create({
        data: {
          partition: 0,
          flowId: flow.id,
          flowVersion: 1,
          orderingKey: "sku-1",
          eventId: `e${i}`,
          event: {},
          sequence: BigInt(i + 1),
          runId: `run-${i}`,
        },
      });
    }
    const health = await channelHealth(database.prisma);
    expect(health[used.id]?.heldEvents).toBe(3);
    expect(health[unused.id]?.heldEvents).toBe(0);
  });
});

describe("channels router", () => {
  it("lists channels with health and never a credential secret", async () => {
    const credential = await caller.credentials.create({ name: "Hook secret", type: "webhook", secret: { signingSecret: "whsec-ROUTER" } });
    const created = await caller.channels.create({
      name: "ERP webhook",
      type: "webhook",
      credentialId: credential.id,
      settings: { url: "https://erp.example.com/hook" },
    });
    const list = await caller.channels.list();
    const listed = list.find((c) => c.id === created.id);
    expect(listed?.health).toMatchObject({ status: "unknown", holding: false });
    expect(listed?.credential?.name).toBe("Hook secret");
    expect(JSON.stringify([list, await caller.channels.get({ id: created.id })])).not.toContain("whsec-ROUTER");

    const refused = await trpcError(caller.channels.update({ id: created.id, settings: { url: "https://attacker.example/hook" } }));
    expect(refused.code).toBe("BAD_REQUEST");
    // The form shows the message on the secret's own field.
    const { z } = await import("zod");
    expect(z.flattenError(refused.cause as never).fieldErrors).toEqual({
      "credentialSecret.signingSecret": ["URL changed: enter the credential's secret again to send it to the new host."],
    });
    const updated = await caller.channels.update({ id: created.id, settings: { url: "https://erp.example.com/v2" }, credentialSecret: { signingSecret: "whsec-ROUTER" } });
    expect(updated.settings).toEqual({ url: "https://erp.example.com/v2" });
    await caller.channels.delete({ id: created.id });
    expect((await trpcError(caller.channels.get({ id: created.id }))).code).toBe("NOT_FOUND");
  });

  it("answers field-level errors", async () => {
    const error = await trpcError(caller.channels.create({ name: "Amazon", type: "amazon", settings: { marketplaceId: "A1" } }));
    expect(error.code).toBe("BAD_REQUEST");
    const { z } = await import("zod");
    expect(z.flattenError(error.cause as never).fieldErrors).toEqual({ "settings.sellerId": ["Seller id is required"] });
    expect((await trpcError(caller.channels.create({ name: "", type: "webhook" }))).code).toBe("BAD_REQUEST");
  });
});
