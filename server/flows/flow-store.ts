import "server-only";
import { versionChanges } from "./version-changes";
import { InvalidInputError } from "../domain-errors";
import { bindTemplate, unknownChoices } from "./template-references";
import type { PrismaClient } from "@/server/db/generated/client";
import { Prisma } from "@/server/db/generated/client";
import { flowDocumentSchema, emptyFlowDocument, type FlowDocument } from "./flow-document";
import { validateFlow, type FlowProblem } from "./validate-flow";
import { flowTemplates } from "./templates";
import { checkReferences } from "./reference-checks";
import { FlowHasProblemsError, FlowNotFoundError, FlowNotPublishedError, FlowVersionNotFoundError, RevisionConflictError } from "./flow-errors";

// Everything that reads or writes flows goes through here, so the tRPC routers (the editor) and
// the HTTP API (automation) behave the same way.

type Db = PrismaClient;

export interface FlowSummary {
  id: string;
  name: string;
  enabled: boolean;
  publishedVersion: number | null;
  problemCount: number;
  nodeCount: number;
  triggerKind: string | null;
  updatedAt: Date;
}

function asDocument(json: unknown): FlowDocument {
  return flowDocumentSchema.parse(json);
}

function toJson(document: FlowDocument): Prisma.InputJsonValue {
  return document as unknown as Prisma.InputJsonValue;
}

export async function listFlows(db: Db, opts: { search?: string } = {}): Promise<FlowSummary[]> {
  const search = opts.search?.trim();
  const rows = await db.flow.findMany({
    where: search ? { name: { contains: search, mode: "insensitive" } } : undefined,
    orderBy: { updatedAt: "desc" },
  });
  return rows.map((row) => {
    const doc = row.draft as unknown as Partial<FlowDocument>;
    const nodes = Array.isArray(doc.nodes) ? doc.nodes : [];
    return {
      id: row.id,
      name: row.name,
      enabled: row.enabled,
      publishedVersion: row.publishedVersion,
      problemCount: row.problemCount,
      nodeCount: nodes.length,
      triggerKind: nodes.find((n) => typeof n?.kind === "string" && n.kind.startsWith("trigger:"))?.kind ?? null,
      updatedAt: row.updatedAt,
    };
  });
}

export async function getFlow(db: Db, id: string) {
  const row = await db.flow.findUnique({ where: { id } });
  if (!row) throw new FlowNotFoundError(id);
  const document = asDocument(row.draft);
  return {
    id: row.id,
    name: row.name,
    enabled: row.enabled,
    revision: row.revision,
    publishedVersion: row.publishedVersion,
    updatedAt: row.updatedAt,
    document,
    problems: validateFlow(document).problems,
  };
}

/** Creates a flow from a document as it is; problems are allowed in a draft. */
export async function createFlow(db: Db, document: FlowDocument): Promise<{ id: string }> {
  const { problems } = validateFlow(document);
  const row = await db.flow.create({
    data: { name: document.name, draft: toJson(document), problemCount: problems.length },
    select: { id: true },
  });
  return row;
}

/**
 * A blank flow, or one from a template with `references` (`nodeId.field` → channel or
 * credential id) saying which of the user's channels and credentials its steps use; a reference
 * not chosen is left empty, so the editor asks for it.
 */
export async function createFlowFromTemplate(db: Db, opts: { name?: string; templateId?: string; references?: Record<string, string> }) {
  if (!opts.templateId) return createFlow(db, emptyFlowDocument(opts.name?.trim() || "Untitled flow"));
  const template = flowTemplates.find((t) => t.id === opts.templateId);
  if (!template) throw new Error(`Unknown template "${opts.templateId}"`);
  const choices = opts.references ?? {};
  const unknown = unknownChoices(template, choices);
  if (unknown.length > 0) {
    throw new InvalidInputError(
      "This template has no such step",
      unknown.map((key) => ({ path: `references.${key}`, message: `the template has no step field “${key}” that takes a channel or credential` })),
    );
  }
  return createFlow(db, { ...bindTemplate(template.document, choices), name: opts.name?.trim() || template.document.name });
}

/**
 * Saves the draft. `expectedRevision` is the revision the editor loaded; if the stored one moved
 * on, someone else saved in between and we refuse rather than overwrite their work.
 */
export async function saveDraft(
  db: Db,
  input: { id: string; expectedRevision: number; document: FlowDocument },
): Promise<{ revision: number; updatedAt: Date; problems: FlowProblem[] }> {
  const { problems } = validateFlow(input.document);
  const updated = await db.flow.updateMany({
    where: { id: input.id, revision: input.expectedRevision },
    data: {
      draft: toJson(input.document),
      name: input.document.name,
      problemCount: problems.length,
      revision: { increment: 1 },
    },
  });
  if (updated.count === 0) {
    const current = await db.flow.findUnique({ where: { id: input.id }, select: { revision: true, updatedAt: true } });
    if (!current) throw new FlowNotFoundError(input.id);
    throw new RevisionConflictError(input.expectedRevision, current.revision, current.updatedAt);
  }
  const row = await db.flow.findUniqueOrThrow({ where: { id: input.id }, select: { revision: true, updatedAt: true } });
  return { revision: row.revision, updatedAt: row.updatedAt, problems };
}

export async function renameFlow(db: Db, id: string, name: string) {
  const row = await db.flow.findUnique({ where: { id } });
  if (!row) throw new FlowNotFoundError(id);
  const document = { ...asDocument(row.draft), name };
  const updated = await db.flow.update({
    where: { id },
    data: { name, draft: toJson(document), revision: { increment: 1 } },
    select: { revision: true },
  });
  return { revision: updated.revision };
}

export async function duplicateFlow(db: Db, id: string): Promise<{ id: string }> {
  const { document } = await getFlow(db, id);
  return createFlow(db, { ...document, name: `${document.name} (copy)` });
}

export async function deleteFlow(db: Db, id: string) {
  const deleted = await db.flow.deleteMany({ where: { id } });
  if (deleted.count === 0) throw new FlowNotFoundError(id);
}

/** Enabling needs a published version (FlowNotPublishedError otherwise); disabling always works. */
export async function setFlowEnabled(db: Db, id: string, enabled: boolean) {
  // One statement, so a flow cannot be enabled between a check and the update.
  const updated = await db.flow.updateMany({ where: enabled ? { id, publishedVersion: { not: null } } : { id }, data: { enabled } });
  if (updated.count > 0) return;
  if ((await db.flow.count({ where: { id } })) === 0) throw new FlowNotFoundError(id);
  throw new FlowNotPublishedError(id);
}

/**
 * Publishes the stored draft as the next immutable version. A draft with problems is refused.
 * The version number comes from a unique (flowId, version) row, so two concurrent publishes
 * cannot both claim the same number.
 */
export async function publishFlow(db: Db, id: string): Promise<{ version: number }> {
  return db.$transaction(async (tx) => {
    const row = await tx.flow.findUnique({ where: { id } });
    if (!row) throw new FlowNotFoundError(id);
    const { document, problems } = validateFlow(row.draft);
    if (!document || problems.length > 0) throw new FlowHasProblemsError(problems);
    const referenceProblems = await checkReferences(tx, id, document);
    if (referenceProblems.length > 0) throw new FlowHasProblemsError(referenceProblems);
    const last = await tx.flowVersion.findFirst({ where: { flowId: id }, orderBy: { version: "desc" }, select: { version: true, document: true } });
    // Publishing an unchanged draft again is a no-op: automation can call publish safely twice.
    if (last && canonicalJson(last.document) === canonicalJson(document)) return { version: last.version };
    const version = (last?.version ?? 0) + 1;
    await tx.flowVersion.create({ data: { flowId: id, version, document: toJson(document) } });
    await tx.flow.update({ where: { id }, data: { publishedVersion: version } });
    return { version };
  });
}

/** JSON with object keys sorted: Postgres jsonb does not keep key order, so compare this way. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export async function listVersions(db: Db, id: string) {
  const exists = await db.flow.count({ where: { id } });
  if (!exists) throw new FlowNotFoundError(id);
  const rows = await db.flowVersion.findMany({ where: { flowId: id }, orderBy: { version: "desc" } });
  // Who published each version: the audit log's flow.published entries (a person, or an API key).
  const published = await db.auditEntry.findMany({ where: { action: "flow.published", targetType: "flow", targetId: id }, select: { actorLabel: true, detail: true } });
  const publisherOf = new Map(published.map((entry) => [(entry.detail as { version?: unknown }).version, entry.actorLabel]));
  return rows.map((row, index) => {
    const doc = row.document as unknown as FlowDocument;
    const previous = rows[index + 1]?.document as unknown as FlowDocument | undefined;
    return {
      version: row.version,
      createdAt: row.createdAt,
      nodeCount: doc.nodes?.length ?? 0,
      name: doc.name,
      publishedBy: publisherOf.get(row.version) ?? null,
      changes: versionChanges(previous ?? null, doc),
    };
  });
}

export async function getVersionDocument(db: Db, id: string, version: number): Promise<FlowDocument> {
  const row = await db.flowVersion.findUnique({ where: { flowId_version: { flowId: id, version } } });
  if (!row) throw new FlowVersionNotFoundError(id, version);
  return asDocument(row.document);
}

/**
 * Copies a published version's steps, connections and settings into the draft (the version itself
 * stays as it was). The flow keeps its current name: a rename is not undone by a restore.
 */
export async function restoreVersion(db: Db, input: { id: string; version: number; expectedRevision: number }) {
  const current = await db.flow.findUnique({ where: { id: input.id }, select: { name: true } });
  if (!current) throw new FlowNotFoundError(input.id);
  const document = { ...(await getVersionDocument(db, input.id, input.version)), name: current.name };
  const saved = await saveDraft(db, { id: input.id, expectedRevision: input.expectedRevision, document });
  return { ...saved, document };
}

/** The flow document of the draft, as `GET /api/flows/{id}/export` hands it out. */
export async function exportFlow(db: Db, id: string): Promise<FlowDocument> {
  return (await getFlow(db, id)).document;
}
