import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { InvalidInputError, NotFoundError } from "@/server/domain-errors";
import { checkExpressionSyntax } from "@/server/expressions/expression-syntax";
import { defaultOrderingKeyOf, isCredentialOptional, isSourceKind, sourceKinds, sourceMappingSchema, type SourceKind, type SourceMapping } from "./source-kinds";

// Sources (Settings → Sources): a named broker connection (kind, credential, what to consume),
// how its messages become CloudEvents, and the health whoever consumes it reports.

type Db = PrismaClient;

export class SourceNotFoundError extends NotFoundError {
  constructor(readonly id: string) {
    super(`source ${id} not found`);
    this.name = "SourceNotFoundError";
  }
}

/** Invalid kind, credential, settings or mapping; issues by input path (`settings.queue`, `mapping.type`). */
class SourceValidationError extends InvalidInputError {
  constructor(message: string, issues: { path: string; message: string }[]) {
    super(message, issues);
    this.name = "SourceValidationError";
  }
}

export interface Source {
  id: string;
  name: string;
  kind: SourceKind;
  credentialId: string | null;
  credential: { id: string; name: string; type: string } | null;
  settings: Record<string, unknown>;
  mapping: SourceMapping;
  enabled: boolean;
  connected: boolean;
  lag: number | null;
  lastMessageAt: Date | null;
  lastErrorAt: Date | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface SourceInput {
  name: string;
  kind: string;
  credentialId?: string | null;
  settings?: Record<string, unknown>;
  mapping: Partial<SourceMapping>;
  enabled?: boolean;
}

const include = { credential: { select: { id: true, name: true, type: true } } } as const;

type Row = NonNullable<Awaited<ReturnType<Db["source"]["findUnique"]>>> & { credential: { id: string; name: string; type: string } | null };

function toSource(row: Row): Source {
  const settings = row.settings && typeof row.settings === "object" && !Array.isArray(row.settings) ? (row.settings as Record<string, unknown>) : {};
  const mapping = sourceMappingSchema.safeParse(row.mapping);
  return {
    ...row,
    kind: row.kind as SourceKind,
    settings,
    mapping: mapping.success ? mapping.data : { type: "", orderingKey: "", id: "", data: "" },
  };
}

function issuesOf(prefix: string, error: { issues: { path: PropertyKey[]; message: string }[] }) {
  return error.issues.map((issue) => ({ path: [prefix, ...issue.path.map(String)].join("."), message: issue.message }));
}

function parse(input: { kind: string; settings?: unknown; mapping?: unknown }): { kind: SourceKind; settings: Record<string, unknown>; mapping: SourceMapping } {
  if (!isSourceKind(input.kind)) throw new SourceValidationError(`unknown kind of source "${input.kind}"`, [{ path: "kind", message: "Choose a kind of source" }]);
  const issues: { path: string; message: string }[] = [];
  const settings = sourceKinds[input.kind].settings.safeParse(input.settings ?? {});
  if (!settings.success) issues.push(...issuesOf("settings", settings.error));
  const mapping = sourceMappingSchema.safeParse(input.mapping ?? {});
  if (!mapping.success) issues.push(...issuesOf("mapping", mapping.error));
  else {
    if (!mapping.data.orderingKey) {
      const fallback = defaultOrderingKeyOf(input.kind);
      if (fallback) mapping.data.orderingKey = fallback;
      else issues.push({ path: "mapping.orderingKey", message: "Enter the ordering key, e.g. message.body.sku" });
    }
    for (const field of ["type", "orderingKey", "id", "data"] as const) {
      const problem = mapping.data[field] ? checkExpressionSyntax(mapping.data[field]) : null;
      if (problem) issues.push({ path: `mapping.${field}`, message: `Not a valid JSONata expression: ${problem.message}` });
    }
  }
  if (issues.length > 0 || !settings.success || !mapping.success) {
    throw new SourceValidationError(issues.map((i) => i.message).join("; "), issues);
  }
  return { kind: input.kind, settings: JSON.parse(JSON.stringify(settings.data)) as Record<string, unknown>, mapping: mapping.data };
}

async function checkCredential(db: Db, kind: SourceKind, credentialId: string | null | undefined): Promise<void> {
  const expected = sourceKinds[kind].credentialType;
  if (!credentialId && isCredentialOptional(kind)) return;
  if (!credentialId) throw new SourceValidationError("a source needs a credential", [{ path: "credentialId", message: `Pick a ${expected} credential` }]);
  const credential = await db.credential.findUnique({ where: { id: credentialId }, select: { type: true } });
  if (!credential) throw new SourceValidationError("the credential does not exist", [{ path: "credentialId", message: "No such credential" }]);
  if (credential.type !== expected) {
    throw new SourceValidationError(`a ${kind} source needs a ${expected} credential, not ${credential.type}`, [{ path: "credentialId", message: `Pick a ${expected} credential` }]);
  }
}

export async function createSource(db: Db, input: SourceInput): Promise<Source> {
  const parsed = parse(input);
  await checkCredential(db, parsed.kind, input.credentialId);
  const row = await db.source.create({
    data: {
      name: input.name.trim(),
      kind: parsed.kind,
      credentialId: input.credentialId ?? null,
      settings: parsed.settings as object,
      mapping: parsed.mapping as object,
      enabled: input.enabled ?? true,
    },
    include,
  });
  return toSource(row);
}

export async function listSources(db: Db): Promise<Source[]> {
  const rows = await db.source.findMany({ orderBy: [{ name: "asc" }, { createdAt: "asc" }], include });
  return rows.map(toSource);
}

export async function getSource(db: Db, id: string): Promise<Source> {
  const row = await db.source.findUnique({ where: { id }, include });
  if (!row) throw new SourceNotFoundError(id);
  return toSource(row);
}

/** Changes what is given; settings and mapping are replaced as a whole and validated for the kind. */
export async function updateSource(db: Db, id: string, patch: Partial<SourceInput>): Promise<Source> {
  const current = await getSource(db, id);
  const kind = patch.kind ?? current.kind;
  const parsed = parse({ kind, settings: patch.settings ?? current.settings, mapping: patch.mapping ?? current.mapping });
  const credentialId = patch.credentialId === undefined ? current.credentialId : patch.credentialId;
  await checkCredential(db, parsed.kind, credentialId);
  const row = await db.source.update({
    where: { id },
    data: {
      ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      kind: parsed.kind,
      credentialId: credentialId ?? null,
      settings: parsed.settings as object,
      mapping: parsed.mapping as object,
    },
    include,
  });
  return toSource(row);
}

export async function deleteSource(db: Db, id: string): Promise<void> {
  const { count } = await db.source.deleteMany({ where: { id } });
  if (count === 0) throw new SourceNotFoundError(id);
}

const clip = (message: string) => (message.length > 2000 ? `${message.slice(0, 1997)}...` : message);

// Health is not an edit: raw updates, so the source's updatedAt (shown as "updated") stays put.

/** The consumer connected (or lost its connection); `lag`: messages waiting in the broker, where it says. */
export async function recordSourceConnection(db: Db, id: string, connected: boolean, lag?: number | null): Promise<void> {
  if (lag === undefined) await db.$executeRaw`UPDATE "Source" SET connected = ${connected} WHERE id = ${id}`;
  else await db.$executeRaw`UPDATE "Source" SET connected = ${connected}, lag = ${lag} WHERE id = ${id}`;
}

/** How stale "last message" may get on a busy source: messages within it write nothing. */
export const LAST_MESSAGE_REFRESH_MS = 10_000;

/** A message was taken in (published to JetStream, or dead-lettered). At most one write per LAST_MESSAGE_REFRESH_MS. */
export async function recordSourceMessage(db: Db, id: string, at = new Date()): Promise<void> {
  const staleBefore = new Date(at.getTime() - LAST_MESSAGE_REFRESH_MS);
  await db.$executeRaw`UPDATE "Source" SET "lastMessageAt" = ${at} WHERE id = ${id} AND ("lastMessageAt" IS NULL OR "lastMessageAt" < ${staleBefore})`;
}

export async function recordSourceError(db: Db, id: string, message: string, at = new Date()): Promise<void> {
  await db.$executeRaw`UPDATE "Source" SET "lastErrorAt" = ${at}, "lastError" = ${clip(message)} WHERE id = ${id}`;
}

export async function recordSourceLag(db: Db, id: string, lag: number): Promise<void> {
  await db.$executeRaw`UPDATE "Source" SET lag = ${lag} WHERE id = ${id}`;
}
