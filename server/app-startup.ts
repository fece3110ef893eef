import "server-only";
import { env } from "@/server/env";
import { applyMigrations } from "@/server/db/migrations";
import { db } from "@/server/db/client";
import { ensureBootstrapApiKey } from "@/server/auth/api-keys";
import { secretKeyFromEnv } from "@/server/credentials/secret-box";

// What every process that serves Syncline does once before it takes traffic: bring the database
// schema up to date (concurrent starters are serialised by an advisory lock inside
// applyMigrations) and make sure the bootstrap API key exists.

let prepared: Promise<void> | undefined;

export function prepareApp(): Promise<void> {
  prepared ??= (async () => {
    const { DATABASE_URL, BOOTSTRAP_API_KEY } = env();
    if (!DATABASE_URL) {
      throw new Error("DATABASE_URL is not set. Start Syncline with `npm start` (it starts an embedded database when none is configured) or set DATABASE_URL.");
    }
    // In production without SYNCLINE_SECRET_KEY this throws: refuse to start rather than fail on
    // the first credential someone saves.
    secretKeyFromEnv();
    await applyMigrations(DATABASE_URL);
    if (BOOTSTRAP_API_KEY) await ensureBootstrapApiKey(db(), BOOTSTRAP_API_KEY);
  })();
  return prepared;
}
