import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { keyIdOf, openSecret, parseSecretKey, sealSecret, secretKeyFromEnv, SecretDecryptionError } from "./secret-box";

describe("secret box", () => {
  const key = randomBytes(32);

  it("round-trips a secret and names the key", () => {
    const sealed = sealSecret({ apiKey: "sk-123", other: "ü ∑" }, key);
    expect(sealed.ciphertext).not.toContain("sk-123");
    expect(Buffer.from(sealed.ciphertext, "base64").toString("utf8")).not.toContain("sk-123");
    expect(sealed.keyId).toMatch(/^[0-9a-f]{8}$/);
    expect(sealed.keyId).toBe(keyIdOf(key));
    expect(openSecret(sealed.ciphertext, key)).toEqual({ apiKey: "sk-123", other: "ü ∑" });
    // A fresh IV each time.
    expect(sealSecret({ apiKey: "sk-123" }, key).ciphertext).not.toBe(sealSecret({ apiKey: "sk-123" }, key).ciphertext);
  });

  it("detects tampering with the ciphertext, tag or iv", () => {
    const sealed = Buffer.from(sealSecret({ apiKey: "sk-123" }, key).ciphertext, "base64");
    for (const index of [0, 14, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered.writeUInt8(tampered.readUInt8(index) ^ 0x01, index);
      expect(() => openSecret(tampered.toString("base64"), key)).toThrow(SecretDecryptionError);
    }
    expect(() => openSecret(sealed.subarray(0, 10).toString("base64"), key)).toThrow(SecretDecryptionError);
  });

  it("refuses a wrong key", () => {
    const sealed = sealSecret({ apiKey: "sk-123" }, key);
    expect(() => openSecret(sealed.ciphertext, randomBytes(32))).toThrow(SecretDecryptionError);
  });

  it("parses hex and base64 keys and rejects others", () => {
    expect(parseSecretKey(key.toString("hex")).equals(key)).toBe(true);
    expect(parseSecretKey(key.toString("base64")).equals(key)).toBe(true);
    expect(parseSecretKey(key.toString("base64url")).equals(key)).toBe(true);
    expect(() => parseSecretKey("too-short")).toThrow(/SYNCLINE_SECRET_KEY must be 32 bytes/);
    expect(() => parseSecretKey(randomBytes(16).toString("hex"))).toThrow(/32 bytes/);
  });

  it("throws in production without SYNCLINE_SECRET_KEY", () => {
    expect(() => secretKeyFromEnv({ NODE_ENV: "production" })).toThrow(/SYNCLINE_SECRET_KEY is not set/);
    expect(secretKeyFromEnv({ NODE_ENV: "production", SYNCLINE_SECRET_KEY: key.toString("hex") }).equals(key)).toBe(true);
  });

  it("outside production, keeps a key in DATA_DIR/secret.key with mode 0600 and says so once", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "syncline-secret-"));
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const first = secretKeyFromEnv({ NODE_ENV: "development", DATA_DIR: dir });
      const file = path.join(dir, "secret.key");
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(first).toHaveLength(32);
      expect(secretKeyFromEnv({ NODE_ENV: "test", DATA_DIR: dir }).equals(first)).toBe(true);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toContain(file);
    } finally {
      warn.mockRestore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
