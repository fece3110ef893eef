import "server-only";
import { env } from "@/server/env";
import { applyMigrations } from "@/server/db/migrations";
import { db } from "@/server/db/client";
import { ensureBootstrapApiKey } from "@/server/auth/api-keys";
import { secretKeyFromEnv } from "@/server/credentials/secret-box";
import { ensureOwnerFromEnv } from "@/server/auth/users";
import { resealLegacyCredentials } from "@/server/credentials/credential-store";

// What every process that serves Syncline does once before it takes traffic: bring the database
// schema up to date (concurrent starters are serialised by an advisory lock inside
// applyMigrations), make sure the bootstrap API key exists, and make sure the owner named by
// SYNCLINE_ADMIN_EMAIL / SYNCLINE_ADMIN_PASSWORD exists.

let prepared: Promise<void> | undefined;

export function prepareApp(): Promise<void> {
  prepared ??= (async () => {
    const { DATABASE_URL, BOOTSTRAP_API_KEY, SYNCLINE_ADMIN_EMAIL, SYNCLINE_ADMIN_PASSWORD } = env();
    if (!DATABASE_URL) {
      throw new Error("DATABASE_URL is not set. Start Syncline with `npm start` (it starts an embedded database when none is configured) or set DATABASE_URL.");
    }
    // In production without SYNCLINE_SECRET_KEY this throws: refuse to start rather than fail on
    // the first credential someone saves.
    secretKeyFromEnv();
    await applyMigrations(DATABASE_URL);
    await resealLegacyCredentials(db());
    if (BOOTSTRAP_API_KEY) await ensureBootstrapApiKey(db(), BOOTSTRAP_API_KEY);
    if (SYNCLINE_ADMIN_EMAIL && SYNCLINE_ADMIN_PASSWORD) await ensureOwnerFromEnv(db(), SYNCLINE_ADMIN_EMAIL, SYNCLINE_ADMIN_PASSWORD);
    else if (SYNCLINE_ADMIN_EMAIL || SYNCLINE_ADMIN_PASSWORD) throw new Error("Set both SYNCLINE_ADMIN_EMAIL and SYNCLINE_ADMIN_PASSWORD, or neither.");
  })();
  return prepared;
}
