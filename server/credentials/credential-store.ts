import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { ConflictError, InvalidInputError, NotFoundError } from "@/server/domain-errors";
import {
  compactSecret,
  credentialTypes,
  isCredentialType,
  type CredentialType,
} from "@/server/credentials/credential-types";
import { randomUUID } from "node:crypto";
import { changedHostSettings, pinnedHostProblems, requiredSecretFields } from "@/server/credentials/host-settings";
import { env } from "@/server/env";
import { isUnboundSeal, openSecret, sealSecret, secretKeyFromEnv, SecretDecryptionError } from "@/server/credentials/secret-box";

/** What a sealed secret is bound to: moved to another credential's row it does not open. */
function boundTo(row: { id: string; type: string }): string {
  return `credential:${row.id}:${row.type}`;
}

function openRow(row: { id: string; type: string; ciphertext: string }, key: Buffer) {
  return openSecret(row.ciphertext, key, isUnboundSeal(row.ciphertext) ? undefined : boundTo(row));
}

export { credentialTypes, type CredentialType } from "@/server/credentials/credential-types";

// Credentials are sealed with AES-256-GCM before they reach the database and are only opened for
// executors (readCredentialSecret). Nothing here returns secret values to the UI: listCredentials
// says which secret fields are set, never what they are.

type Db = PrismaClient;
export interface StoreOptions {
  /** The encryption key; default secretKeyFromEnv(). */
  key?: Buffer;
}

class CredentialNotFoundError extends NotFoundError {
  constructor(readonly id: string) {
    super(`credential ${id} not found`);
    this.name = "CredentialNotFoundError";
  }
}

/** Invalid input for the credential's type; `fieldErrors` is keyed by field name, the issues by input path (`secret.apiKey`). */
export class CredentialValidationError extends InvalidInputError {
  constructor(
    message: string,
    readonly fieldErrors: Record<string, string[]>,
  ) {
    super(
      message,
      Object.entries(fieldErrors).flatMap(([field, messages]) => messages.map((m) => ({ path: field === "type" ? field : `secret.${field}`, message: m }))),
    );
    this.name = "CredentialValidationError";
  }
}

export interface CredentialSummary {
  id: string;
  name: string;
  type: string;
  settings: Record<string, unknown>;
  keyId: string;
  /** Names of the secret fields that hold a value (the values themselves never leave the server). */
  secretFields: string[];
  /** false when the current key cannot open it (SYNCLINE_SECRET_KEY changed). */
  readable: boolean;
  channelCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface CredentialSecret {
  id: string;
  name: string;
  type: string;
  settings: Record<string, unknown>;
  secret: Record<string, string>;
}

function validateSecret(type: string, secret: Record<string, string>): Record<string, string> {
  if (!isCredentialType(type)) {
    throw new CredentialValidationError(`unknown credential type "${type}"`, { type: ["Unknown credential type"] });
  }
  const result = credentialTypes[type].secret.safeParse(secret);
  if (!result.success) {
    const fieldErrors: Record<string, string[]> = {};
    for (const issue of result.error.issues) (fieldErrors[String(issue.path[0] ?? "secret")] ??= []).push(issue.message);
    throw new CredentialValidationError(result.error.issues.map((i) => i.message).join("; "), fieldErrors);
  }
  return compactSecret(result.data as Record<string, string | undefined>);
}

function asSettings(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export async function createCredential(
  db: Db,
  input: { name: string; type: CredentialType | string; secret: Record<string, string>; settings?: Record<string, unknown> },
  options: StoreOptions = {},
): Promise<CredentialSummary> {
  const secret = validateSecret(input.type, compactSecret(input.secret));
  assertPinnedHosts(input.type, input.settings ?? {});
  const id = randomUUID();
  const sealed = sealSecret(secret, options.key ?? secretKeyFromEnv(), boundTo({ id, type: input.type }));
  const row = await db.credential.create({
    data: {
      id,
      name: input.name.trim(),
      type: input.type,
      ciphertext: sealed.ciphertext,
      keyId: sealed.keyId,
      settings: (input.settings ?? {}) as object,
    },
  });
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    settings: asSettings(row.settings),
    keyId: row.keyId,
    secretFields: Object.keys(secret).sort(),
    readable: true,
    channelCount: 0,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export async function listCredentials(db: Db, options: StoreOptions = {}): Promise<CredentialSummary[]> {
  const rows = await db.credential.findMany({
    orderBy: [{ name: "asc" }, { createdAt: "asc" }],
    include: { _count: { select: { channels: true } } },
  });
  const key = rows.length > 0 ? (options.key ?? secretKeyFromEnv()) : undefined;
  return rows.map((row) => {
    let secretFields: string[] = [];
    let readable = true;
    try {
      secretFields = Object.keys(openRow(row, key!)).sort();
    } catch {
      readable = false;
    }
    return {
      id: row.id,
      name: row.name,
      type: row.type,
      settings: asSettings(row.settings),
      keyId: row.keyId,
      secretFields,
      readable,
      channelCount: row._count.channels,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  });
}

/**
 * Renames, replaces secret fields (a field absent from `secret` keeps its value; an empty string
 * clears an optional one) and replaces the settings.
 */
export async function updateCredential(
  db: Db,
  id: string,
  patch: { name?: string; secret?: Record<string, string>; settings?: Record<string, unknown> },
  options: StoreOptions = {},
): Promise<CredentialSummary> {
  const row = await db.credential.findUnique({ where: { id } });
  if (!row) throw new CredentialNotFoundError(id);
  const data: { name?: string; ciphertext?: string; keyId?: string; settings?: object } = {};
  if (patch.name !== undefined) data.name = patch.name.trim();
  if (patch.settings !== undefined) {
    assertPinnedHosts(row.type, patch.settings);
    const changed = changedHostSettings(asSettings(row.settings), patch.settings);
    if (changed.length > 0 && isCredentialType(row.type)) {
      // Re-pointing a saved secret at another host needs the secret itself, not just a session.
      const missing = requiredSecretFields(credentialTypes[row.type].secret).filter((field) => !patch.secret?.[field]?.trim());
      if (missing.length > 0) {
        const message = `Enter this again: ${changed.join(", ")} changed, and a saved secret is only sent to a new host by someone who knows it.`;
        throw new CredentialValidationError(`${changed.join(", ")} changed: enter the secret again`, Object.fromEntries(missing.map((field) => [field, [message]])));
      }
    }
    data.settings = patch.settings as object;
  }
  if (patch.secret !== undefined && Object.keys(patch.secret).length > 0) {
    const key = options.key ?? secretKeyFromEnv();
    let current: Record<string, string> = {};
    try {
      current = openRow(row, key);
    } catch {
      // Unreadable with the current key: the new fields must then be complete on their own.
    }
    const merged: Record<string, string> = { ...current };
    for (const [name, value] of Object.entries(patch.secret)) {
      if (value.trim() === "") delete merged[name];
      else merged[name] = value.trim();
    }
    const sealed = sealSecret(validateSecret(row.type, merged), key, boundTo(row));
    data.ciphertext = sealed.ciphertext;
    data.keyId = sealed.keyId;
  }
  await db.credential.update({ where: { id }, data });
  const updated = (await listCredentials(db, options)).find((c) => c.id === id);
  if (!updated) throw new CredentialNotFoundError(id);
  return updated;
}

function assertPinnedHosts(type: string, settings: Record<string, unknown>) {
  const problems = pinnedHostProblems(type, settings, env().SYNCLINE_ALLOW_CUSTOM_PROVIDER_HOSTS);
  if (Object.keys(problems).length > 0) throw new CredentialValidationError("This provider only accepts its own hosts", problems);
}

/** Deletes a credential; channels that used it keep existing without one. */
export async function deleteCredential(db: Db, id: string): Promise<void> {
  const { count } = await db.credential.deleteMany({ where: { id } });
  if (count === 0) throw new CredentialNotFoundError(id);
}

/**
 * The stored secret cannot be opened (SYNCLINE_SECRET_KEY changed, or the row is damaged): a conflict
 * with the key in use that no retry fixes.
 */
class CredentialUnreadableError extends ConflictError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CredentialUnreadableError";
  }
}

/**
 * For executors: the credential with its opened secret. Throws CredentialNotFoundError or
 * CredentialUnreadableError, which the runtime treats as permanent (only TransientErrors are retried).
 */
export async function readCredentialSecret(db: Db, id: string, options: StoreOptions = {}): Promise<CredentialSecret> {
  const row = await db.credential.findUnique({ where: { id } });
  if (!row) throw new CredentialNotFoundError(id);
  let secret: Record<string, string>;
  try {
    secret = openRow(row, options.key ?? secretKeyFromEnv());
  } catch (error) {
    if (error instanceof SecretDecryptionError) {
      throw new CredentialUnreadableError(
        `credential ${id} ("${row.name}") cannot be decrypted with the current SYNCLINE_SECRET_KEY`,
        { cause: error },
      );
    }
    throw new CredentialUnreadableError(`credential ${id} ("${row.name}") cannot be read: ${(error as Error).message}`, { cause: error });
  }
  return { id: row.id, name: row.name, type: row.type, settings: asSettings(row.settings), secret };
}

/**
 * Re-seals secrets stored before they were bound to their credential's id and type (runs at
 * start). Values that do not open with the current key are left as they are (listed unreadable).
 */
export async function resealLegacyCredentials(db: Db, options: StoreOptions = {}): Promise<number> {
  const rows = (await db.credential.findMany({ select: { id: true, type: true, ciphertext: true } })).filter((row) => isUnboundSeal(row.ciphertext));
  if (rows.length === 0) return 0;
  const key = options.key ?? secretKeyFromEnv();
  let resealed = 0;
  for (const row of rows) {
    let plain: Record<string, string>;
    try {
      plain = openSecret(row.ciphertext, key);
    } catch {
      continue;
    }
    const sealed = sealSecret(plain, key, boundTo(row));
    const { count } = await db.credential.updateMany({ where: { id: row.id, ciphertext: row.ciphertext }, data: { ciphertext: sealed.ciphertext, keyId: sealed.keyId } });
    resealed += count;
  }
  return resealed;
}
