import "server-only";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { PrismaClient } from "@/server/db/generated/client";

// API keys for the automation HTTP API. The key is shown once at creation; only its SHA-256 is
// stored (keys are long random strings, so a fast hash is enough, unlike passwords).

const KEY_PREFIX = "syn_";

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(24).toString("base64url");
}

export async function createApiKey(db: PrismaClient, name: string, key = generateApiKey()) {
  const row = await db.apiKey.create({
    data: { name, prefix: key.slice(0, KEY_PREFIX.length + 6), hash: hashApiKey(key) },
  });
  return { id: row.id, name: row.name, prefix: row.prefix, createdAt: row.createdAt, key };
}

export async function listApiKeys(db: PrismaClient) {
  return db.apiKey.findMany({
    where: { revokedAt: null },
    orderBy: { createdAt: "desc" },
    select: { id: true, name: true, prefix: true, createdAt: true, lastUsedAt: true },
  });
}

export async function revokeApiKey(db: PrismaClient, id: string) {
  verified.clear();
  const updated = await db.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  return updated.count > 0;
}

/** Makes sure the key from BOOTSTRAP_API_KEY exists, so automation can call the API on a fresh install. */
export async function ensureBootstrapApiKey(db: PrismaClient, key: string) {
  const hash = hashApiKey(key);
  const existing = await db.apiKey.findUnique({ where: { hash } });
  if (existing) {
    if (existing.revokedAt) await db.apiKey.update({ where: { hash }, data: { revokedAt: null } });
    return;
  }
  await createApiKey(db, "Bootstrap key (BOOTSTRAP_API_KEY)", key);
}

const lastUsedWrites = new Map<string, number>();
/**
 * Recently verified keys, so a busy ingest does not query the database on every request. A
 * revoked key stops working within this many milliseconds.
 */
const VERIFIED_TTL_MS = 5_000;
const verified = new Map<string, { id: string; until: number }>();

/** Checks an `Authorization: Bearer <key>` header value. Returns the key's id, or null. */
export async function authenticateBearer(db: PrismaClient, authorization: string | null): Promise<string | null> {
  const match = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match?.[1]) return null;
  const hash = hashApiKey(match[1]);
  const cached = verified.get(hash);
  if (cached && cached.until > Date.now()) return cached.id;
  const row = await db.apiKey.findUnique({ where: { hash }, select: { id: true, hash: true, revokedAt: true } });
  if (!row || row.revokedAt) return null;
  // The lookup is by hash already; compare again in constant time so timing says nothing.
  if (!timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash))) return null;
  if (verified.size > 1_000) verified.clear();
  verified.set(hash, { id: row.id, until: Date.now() + VERIFIED_TTL_MS });
  // lastUsedAt is informational: write it at most once a minute per key, not on every request.
  const now = Date.now();
  if ((lastUsedWrites.get(row.id) ?? 0) < now - 60_000) {
    lastUsedWrites.set(row.id, now);
    await db.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } });
  }
  return row.id;
}
