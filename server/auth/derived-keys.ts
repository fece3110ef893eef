import "server-only";
import { hkdfSync } from "node:crypto";
import { secretKeyFromEnv } from "@/server/credentials/secret-box";

// One secret in the environment (SYNCLINE_SECRET_KEY), a separate key per purpose derived from it
// with HKDF-SHA256: the credential-sealing key never doubles as the session-signing key or the
// API-key HMAC key, so a leak of one derived value says nothing about the others.

export type KeyPurpose = "auth-session-secret" | "api-key-hmac" | "invite-token-hmac";

const derived = new Map<string, Buffer>();

export function derivedKey(purpose: KeyPurpose, source: Record<string, string | undefined> = process.env): Buffer {
  const master = secretKeyFromEnv(source);
  const cacheKey = `${master.toString("base64")}:${purpose}`;
  let key = derived.get(cacheKey);
  if (!key) {
    key = Buffer.from(hkdfSync("sha256", master, Buffer.alloc(0), `syncline/${purpose}/v1`, 32));
    derived.set(cacheKey, key);
  }
  return key;
}
