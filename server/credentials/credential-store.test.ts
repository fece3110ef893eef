import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { callerFor, type TestCaller } from "@/server/testing/trpc-caller";
import { trpcError } from "@/server/testing/expect-failure";
import { ConflictError, NotFoundError } from "@/server/domain-errors";
import {
  CredentialValidationError,
  createCredential,
  deleteCredential,
  listCredentials,
  readCredentialSecret,
  updateCredential,
} from "./credential-store";

const key = randomBytes(32);
let database: TestDatabase;
let caller: TestCaller;
const previousKey = process.env.SYNCLINE_SECRET_KEY;

beforeAll(async () => {
  // The router reads the key from the environment.
  process.env.SYNCLINE_SECRET_KEY = key.toString("base64");
  database = await createTestDatabase();
  caller = callerFor(database.prisma);
});
afterAll(async () => {
  if (previousKey === undefined) delete process.env.SYNCLINE_SECRET_KEY;
  else process.env.SYNCLINE_SECRET_KEY = previousKey;
  await database?.drop();
});

describe("credential store", () => {
  it("stores secrets encrypted and opens them for executors", async () => {
    const created = await createCredential(
      database.prisma,
      { name: "Woo", type: "woocommerce", secret: { consumerKey: "ck_abc", consumerSecret: "cs_def" }, settings: { note: "x" } },
      { key },
    );
    expect(created.secretFields).toEqual(["consumerKey", "consumerSecret"]);
    const row = await database.prisma.credential.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.ciphertext).not.toContain("ck_abc");
    expect(row.keyId).toMatch(/^[0-9a-f]{8}$/);

    const opened = await readCredentialSecret(database.prisma, created.id, { key });
    expect(opened).toEqual({
      id: created.id,
      name: "Woo",
      type: "woocommerce",
      settings: { note: "x" },
      secret: { consumerKey: "ck_abc", consumerSecret: "cs_def" },
    });
  });

  it("never returns secret values from listCredentials", async () => {
    await createCredential(database.prisma, { name: "DeepL", type: "deepl", secret: { apiKey: "deepl-SECRET-1" } }, { key });
    const list = await listCredentials(database.prisma, { key });
    const deepl = list.find((c) => c.name === "DeepL");
    expect(deepl).toMatchObject({ type: "deepl", secretFields: ["apiKey"], readable: true });
    const json = JSON.stringify(list);
    expect(json).not.toContain("deepl-SECRET-1");
    expect(json).not.toContain("cs_def");
    expect(json).not.toContain("ciphertext");
  });

  it("validates secret fields per type", async () => {
    const error = await createCredential(database.prisma, { name: "Bad", type: "bolcom", secret: { clientId: "id" } }, { key }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CredentialValidationError);
    expect((error as CredentialValidationError).fieldErrors).toEqual({ clientSecret: ["Client secret is required"] });
    // Optional fields may be absent.
    const libre = await createCredential(database.prisma, { name: "Libre", type: "libretranslate", secret: {} }, { key });
    expect(libre.secretFields).toEqual([]);
  });

  it("replaces only the secret fields given, keeps the others", async () => {
    const { id } = await createCredential(
      database.prisma,
      { name: "Amazon", type: "amazon-sp", secret: { clientId: "a", clientSecret: "b", refreshToken: "c" } },
      { key },
    );
    const updated = await updateCredential(database.prisma, id, { name: "Amazon EU", secret: { refreshToken: "c2" } }, { key });
    expect(updated.name).toBe("Amazon EU");
    expect((await readCredentialSecret(database.prisma, id, { key })).secret).toEqual({
      clientId: "a",
      clientSecret: "b",
      refreshToken: "c2",
    });
    // Clearing a required field is refused.
    await expect(updateCredential(database.prisma, id, { secret: { clientId: "" } }, { key })).rejects.toBeInstanceOf(
      CredentialValidationError,
    );
  });

  it("refuses a missing credential (not found) or the wrong key (conflict)", async () => {
    const missing = readCredentialSecret(database.prisma, "00000000-0000-0000-0000-000000000000", { key });
    await expect(missing).rejects.toBeInstanceOf(NotFoundError);
    await expect(missing).rejects.toThrow("credential 00000000-0000-0000-0000-000000000000 not found");
    const { id } = await createCredential(database.prisma, { name: "Shop", type: "shopify", secret: { accessToken: "shpat" } }, { key });
    const wrong = readCredentialSecret(database.prisma, id, { key: randomBytes(32) });
    await expect(wrong).rejects.toBeInstanceOf(ConflictError);
    await expect(wrong).rejects.toThrow(/cannot be decrypted with the current SYNCLINE_SECRET_KEY/);
    // The list still works and says it is unreadable.
    const listed = (await listCredentials(database.prisma, { key: randomBytes(32) })).find((c) => c.id === id);
    expect(listed).toMatchObject({ readable: false, secretFields: [] });
  });

  it("deletes, and a tampered row cannot be read", async () => {
    const { id } = await createCredential(database.prisma, { name: "Hook", type: "webhook", secret: { signingSecret: "s" } }, { key });
    const row = await database.prisma.credential.findUniqueOrThrow({ where: { id } });
    const bytes = Buffer.from(row.ciphertext, "base64");
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
    await database.prisma.credential.update({ where: { id }, data: { ciphertext: bytes.toString("base64") } });
    await expect(readCredentialSecret(database.prisma, id, { key })).rejects.toBeInstanceOf(ConflictError);
    await deleteCredential(database.prisma, id);
    await expect(readCredentialSecret(database.prisma, id, { key })).rejects.toThrow(/not found/);
  });
});

describe("credentials router", () => {
  it("creates, lists, updates and deletes without ever returning a secret", async () => {
    const created = await caller.credentials.create({
      name: "OpenAI",
      type: "openai",
      secret: { apiKey: "sk-ROUTER-SECRET" },
      settings: { baseUrl: "https://llm.example.com/v1", model: "" },
    });
    expect(created.settings).toEqual({ baseUrl: "https://llm.example.com/v1" });
    const updated = await caller.credentials.update({ id: created.id, secret: { apiKey: "sk-ROUTER-SECRET-2" } });
    const list = await caller.credentials.list();
    const outputs = JSON.stringify([created, updated, list]);
    expect(outputs).not.toContain("sk-ROUTER-SECRET");
    expect(list.find((c) => c.id === created.id)?.secretFields).toEqual(["apiKey"]);
    expect((await readCredentialSecret(database.prisma, created.id)).secret.apiKey).toBe("sk-ROUTER-SECRET-2");

    await caller.credentials.delete({ id: created.id });
    expect((await caller.credentials.list()).some((c) => c.id === created.id)).toBe(false);
    expect((await trpcError(caller.credentials.delete({ id: created.id }))).code).toBe("NOT_FOUND");
  });

  it("answers field-level errors", async () => {
    const error = await trpcError(caller.credentials.create({ name: "Woo", type: "woocommerce", secret: { consumerKey: "ck" } }));
    expect(error.code).toBe("BAD_REQUEST");
    // The shape the UI reads (errorFormatter → data.zodError.fieldErrors).
    const { z, ZodError } = await import("zod");
    expect(error.cause).toBeInstanceOf(ZodError);
    expect(z.flattenError(error.cause as InstanceType<typeof ZodError>).fieldErrors).toEqual({
      "secret.consumerSecret": ["Consumer secret is required"],
    });
    const blank = await trpcError(caller.credentials.create({ name: " ", type: "deepl", secret: { apiKey: "k" } }));
    expect(blank.code).toBe("BAD_REQUEST");
    expect(JSON.stringify(blank)).not.toContain('"k"');
  });
});

describe("where a saved secret may be sent", () => {
  it("refuses a new base URL without the secret entered again, and accepts it with the secret", async () => {
    const created = await createCredential(database.prisma, { name: "DeepL", type: "deepl", secret: { apiKey: "deepl-key-1" }, settings: { baseUrl: "https://api.deepl.com" } }, { key });
    const refused = await updateCredential(database.prisma, created.id, { settings: { baseUrl: "https://api-free.deepl.com" } }, { key }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CredentialValidationError);
    expect((refused as CredentialValidationError).fieldErrors.apiKey?.[0]).toMatch(/Enter this again: baseUrl changed/);
    expect((await readCredentialSecret(database.prisma, created.id, { key })).settings).toEqual({ baseUrl: "https://api.deepl.com" });

    // Renaming or other settings need no secret; the host with the secret is accepted.
    await updateCredential(database.prisma, created.id, { name: "DeepL (free)", settings: { baseUrl: "https://api.deepl.com" } }, { key });
    await updateCredential(database.prisma, created.id, { settings: { baseUrl: "https://api-free.deepl.com" }, secret: { apiKey: "deepl-key-2" } }, { key });
    expect(await readCredentialSecret(database.prisma, created.id, { key })).toMatchObject({ settings: { baseUrl: "https://api-free.deepl.com" }, secret: { apiKey: "deepl-key-2" } });
  });

  it("pins well-known providers to their own hosts", async () => {
    const attempt = await createCredential(database.prisma, { name: "DeepL", type: "deepl", secret: { apiKey: "k" }, settings: { baseUrl: "https://attacker.example" } }, { key }).catch((e: unknown) => e);
    expect((attempt as CredentialValidationError).fieldErrors.baseUrl?.[0]).toMatch(/api\.deepl\.com, api-free\.deepl\.com/);
    // Self-hosted providers (LibreTranslate) have no pin.
    await createCredential(database.prisma, { name: "Libre", type: "libretranslate", secret: {}, settings: { baseUrl: "https://translate.internal.example" } }, { key });
  });

  it("binds each sealed secret to its credential: copied into another row it does not open", async () => {
    const a = await createCredential(database.prisma, { name: "A", type: "webhook", secret: { signingSecret: "secret-a" } }, { key });
    const b = await createCredential(database.prisma, { name: "B", type: "webhook", secret: { signingSecret: "secret-b" } }, { key });
    const rowA = await database.prisma.credential.findUniqueOrThrow({ where: { id: a.id } });
    await database.prisma.credential.update({ where: { id: b.id }, data: { ciphertext: rowA.ciphertext } });
    await expect(readCredentialSecret(database.prisma, b.id, { key })).rejects.toThrow(/cannot be decrypted/);
    expect((await readCredentialSecret(database.prisma, a.id, { key })).secret).toEqual({ signingSecret: "secret-a" });
  });

  it("re-seals secrets stored before binding, once, at start", async () => {
    const { sealSecret } = await import("./secret-box");
    const { resealLegacyCredentials } = await import("./credential-store");
    const legacy = sealSecret({ signingSecret: "old" }, key);
    const row = await database.prisma.credential.create({ data: { name: "Old", type: "webhook", ciphertext: legacy.ciphertext, keyId: legacy.keyId } });
    expect(await resealLegacyCredentials(database.prisma, { key })).toBe(1);
    const after = await database.prisma.credential.findUniqueOrThrow({ where: { id: row.id } });
    expect(after.ciphertext).not.toBe(legacy.ciphertext);
    expect(after.ciphertext.startsWith("v2.")).toBe(true);
    expect((await readCredentialSecret(database.prisma, row.id, { key })).secret).toEqual({ signingSecret: "old" });
    expect(await resealLegacyCredentials(database.prisma, { key })).toBe(0);
  });
});
