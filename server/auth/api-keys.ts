import "server-only";
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import * as z from "zod";
import type { PrismaClient } from "@/server/db/generated/client";
import { derivedKey } from "./derived-keys";

// API keys for the automation HTTP API. The key is shown once at creation; only a keyed hash
// (HMAC-SHA256 under a key derived from SYNCLINE_SECRET_KEY) is stored, so a copy of the database
// alone cannot even test guesses. Keys are long random strings, so a fast MAC is enough, unlike
// passwords. Each key has a scope chosen at creation:
//   events:write — only POST /api/events (for the systems that send events)
//   read         — every GET of the HTTP API
//   full         — everything the HTTP API offers

const API_KEY_SCOPES = ["events:write", "read", "full"] as const;
export const apiKeyScopeSchema = z.enum(API_KEY_SCOPES, { error: "Choose a scope: events:write, read or full." });
export type ApiKeyScope = z.infer<typeof apiKeyScopeSchema>;

/** Whether a key with scope `has` may call a route that needs `needs`. */
export function scopeAllows(has: string, needs: ApiKeyScope): boolean {
  return has === "full" || has === needs;
}

const KEY_PREFIX = "syn_";

function hashApiKey(key: string): string {
  return createHmac("sha256", derivedKey("api-key-hmac")).update(key).digest("hex");
}

/** What keys were stored as before they were keyed: upgraded to the HMAC on first use. */
function legacySha256(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(24).toString("base64url");
}

export async function createApiKey(db: PrismaClient, name: string, scope: ApiKeyScope = "full") {
  const key = generateApiKey();
  // The prefix of a generated key is random, so showing it tells nothing about the rest.
  const row = await db.apiKey.create({ data: { name, scope, prefix: key.slice(0, KEY_PREFIX.length + 6), hash: hashApiKey(key) } });
  return { id: row.id, name: row.name, prefix: row.prefix, scope: row.scope, createdAt: row.createdAt, key };
}

export async function listApiKeys(db: PrismaClient) {
  return db.apiKey.findMany({
    where: { revokedAt: null },
    orderBy: { createdAt: "desc" },
    select: { id: true, name: true, prefix: true, scope: true, createdAt: true, lastUsedAt: true },
  });
}

export async function revokeApiKey(db: PrismaClient, id: string) {
  verified.clear();
  const updated = await db.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  return updated.count > 0;
}

/**
 * Makes sure the key from BOOTSTRAP_API_KEY exists, so automation can call the API on a fresh
 * install. A bootstrap key someone revoked stays revoked: restarting must not undo a revocation.
 * Being human-chosen, it gets no visible prefix.
 */
export async function ensureBootstrapApiKey(db: PrismaClient, key: string) {
  await upgradeLegacyHash(db, key);
  const hash = hashApiKey(key);
  if (await db.apiKey.findUnique({ where: { hash } })) return;
  await db.apiKey.create({ data: { name: "Bootstrap key (BOOTSTRAP_API_KEY)", scope: "full", prefix: null, hash } });
}

async function upgradeLegacyHash(db: PrismaClient, key: string) {
  await db.apiKey.updateMany({ where: { hash: legacySha256(key) }, data: { hash: hashApiKey(key) } });
}

/**
 * Recently verified keys, so a busy ingest does not query the database on every request. A key
 * revoked in this process stops working at once (revokeApiKey clears the cache); one revoked by
 * another instance within this many milliseconds.
 */
const VERIFIED_TTL_MS = 5_000;
// On globalThis: Next bundles the routes, tRPC and the ingest listener (instrumentation.ts) as
// separate module graphs, and a revocation through any of them must clear the one cache.
const CACHE_KEY = Symbol.for("syncline.auth.apiKeyCache");
const caches = globalThis as typeof globalThis & {
  [CACHE_KEY]?: { verified: Map<string, { id: string; name: string; scope: string; until: number }>; lastUsedWrites: Map<string, number> };
};
const { verified, lastUsedWrites } = (caches[CACHE_KEY] ??= { verified: new Map(), lastUsedWrites: new Map() });

export interface VerifiedApiKey {
  id: string;
  name: string;
  scope: string;
}

/** Checks an `Authorization: Bearer <key>` header value. Returns the key, or null. */
export async function authenticateBearer(db: PrismaClient, authorization: string | null): Promise<VerifiedApiKey | null> {
  const match = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match?.[1]) return null;
  // Keyed by the key as sent: a busy ingest skips the HMAC (and reading the secret) on a hit.
  const cached = verified.get(match[1]);
  if (cached && cached.until > Date.now()) return cached;
  const hash = hashApiKey(match[1]);
  let row = await db.apiKey.findUnique({ where: { hash }, select: { id: true, name: true, scope: true, hash: true, revokedAt: true } });
  if (!row) {
    await upgradeLegacyHash(db, match[1]);
    row = await db.apiKey.findUnique({ where: { hash }, select: { id: true, name: true, scope: true, hash: true, revokedAt: true } });
  }
  if (!row || row.revokedAt) return null;
  // The lookup is by hash already; compare again in constant time so timing says nothing.
  if (!timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash))) return null;
  if (verified.size > 1_000) verified.clear();
  const result = { id: row.id, name: row.name, scope: row.scope };
  verified.set(match[1], { ...result, until: Date.now() + VERIFIED_TTL_MS });
  // lastUsedAt is informational: write it at most once a minute per key, not on every request.
  const now = Date.now();
  if ((lastUsedWrites.get(row.id) ?? 0) < now - 60_000) {
    lastUsedWrites.set(row.id, now);
    await db.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } });
  }
  return result;
}
