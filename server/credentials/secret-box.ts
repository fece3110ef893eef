import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

// Authenticated encryption (AES-256-GCM) of credential secrets at rest. A sealed secret is
// base64(iv[12] | auth tag[16] | ciphertext) of the JSON of its fields; `keyId` names the key that
// sealed it (first 8 hex of sha256(key)) so a key rotation can tell old rows from new ones.
// With `associatedData` (the credential's id and type) the value is bound to its row: copied into
// another credential's row it no longer opens. Such values start with `v2.`; values without the
// prefix were sealed before and open without associated data (re-sealed at start, see
// resealLegacyCredentials in credential-store.ts).

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface SealedSecret {
  /** base64(iv | auth tag | ciphertext) */
  ciphertext: string;
  keyId: string;
}

/** Thrown when a sealed secret cannot be opened: wrong key, tampered or truncated data. */
export class SecretDecryptionError extends Error {
  constructor(message = "the secret cannot be decrypted with this key", options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "SecretDecryptionError";
  }
}

function assertKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new Error(`the secret key must be ${KEY_BYTES} bytes, got ${key.length}`);
}

/** First 8 hex digits of sha256(key). */
export function keyIdOf(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 8);
}

const BOUND_PREFIX = "v2.";

export function sealSecret(plain: Record<string, string>, key: Buffer, associatedData?: string): SealedSecret {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  if (associatedData !== undefined) cipher.setAAD(Buffer.from(associatedData, "utf8"));
  const ct = Buffer.concat([cipher.update(JSON.stringify(plain), "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  const body = Buffer.concat([iv, tag, ct]).toString("base64");
  return { ciphertext: associatedData !== undefined ? BOUND_PREFIX + body : body, keyId: keyIdOf(key) };
}

/** Whether a sealed value predates binding to its row (no associated data). */
export function isUnboundSeal(ciphertext: string): boolean {
  return !ciphertext.startsWith(BOUND_PREFIX);
}

/** Opens a sealed secret; throws SecretDecryptionError for a wrong key or tampered data. */
export function openSecret(ciphertext: string, key: Buffer, associatedData?: string): Record<string, string> {
  assertKey(key);
  const bound = !isUnboundSeal(ciphertext);
  if (bound && associatedData === undefined) throw new SecretDecryptionError("this secret is bound to its credential; open it with its id and type");
  const raw = Buffer.from(bound ? ciphertext.slice(BOUND_PREFIX.length) : ciphertext, "base64");
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretDecryptionError("the sealed secret is truncated");
  const iv = raw.subarray(0, IV_BYTES);
  const tag = raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  const ct = raw.subarray(IV_BYTES + TAG_BYTES);
  let text: string;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    if (bound) decipher.setAAD(Buffer.from(associatedData!, "utf8"));
    decipher.setAuthTag(tag);
    text = Buffer.concat([decipher.update(ct), decipher.final()]).toString("utf8");
  } catch (error) {
    throw new SecretDecryptionError(undefined, { cause: error });
  }
  const parsed: unknown = JSON.parse(text);
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new SecretDecryptionError("the sealed secret is not an object of fields");
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) if (typeof value === "string") out[name] = value;
  return out;
}

/** Parses a 32-byte key written as 64 hex digits or base64 (standard or url-safe). */
export function parseSecretKey(text: string): Buffer {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, "hex");
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) {
    const key = Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    if (key.length === KEY_BYTES) return key;
  }
  throw new Error(
    `SYNCLINE_SECRET_KEY must be ${KEY_BYTES} bytes written as 64 hex digits or base64 ` +
      `(e.g. \`openssl rand -base64 32\`)`,
  );
}

let announced = false;
const cache = new Map<string, Buffer>();

/**
 * The key that encrypts stored credentials. SYNCLINE_SECRET_KEY (32 bytes, base64 or hex) when set.
 * In production it is required. Elsewhere, without it, a key kept in `<DATA_DIR>/secret.key` is used
 * (created with mode 0600 if missing), and the console says so once.
 */
export function secretKeyFromEnv(source: Record<string, string | undefined> = process.env): Buffer {
  const configured = source.SYNCLINE_SECRET_KEY?.trim();
  if (configured) return parseSecretKey(configured);
  if ((source.NODE_ENV ?? "development") === "production") {
    throw new Error(
      "SYNCLINE_SECRET_KEY is not set: in production, stored credentials must be encrypted with a key from " +
        "the environment. Set it to 32 random bytes in base64 or hex (e.g. `openssl rand -base64 32`).",
    );
  }
  const dataDir = source.DATA_DIR || ".data";
  const file = path.resolve(dataDir, "secret.key");
  const cached = cache.get(file);
  if (cached) return cached;
  const { key, created } = localSecretKey(dataDir);
  cache.set(file, key);
  if (!announced) {
    announced = true;
    console.warn(
      `SYNCLINE_SECRET_KEY is not set: ${created ? "created" : "using"} a local credential key in ${file} ` +
        `(development only; set SYNCLINE_SECRET_KEY in production).`,
    );
  }
  return key;
}

/**
 * The local key in `<dataDir>/secret.key`, created (mode 0600) if missing. For `npm start`, which
 * can hand it to the web app and worker as SYNCLINE_SECRET_KEY (base64) so they agree on one key.
 */
export function localSecretKey(dataDir: string): { key: Buffer; base64: string; file: string; created: boolean } {
  const file = path.resolve(dataDir, "secret.key");
  let key: Buffer;
  let created = false;
  if (fs.existsSync(file)) {
    key = parseSecretKey(fs.readFileSync(file, "utf8"));
  } else {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    key = randomBytes(KEY_BYTES);
    try {
      fs.writeFileSync(file, key.toString("base64") + "\n", { mode: 0o600, flag: "wx" });
      created = true;
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      key = parseSecretKey(fs.readFileSync(file, "utf8"));
    }
  }
  return { key, base64: key.toString("base64"), file, created };
}
