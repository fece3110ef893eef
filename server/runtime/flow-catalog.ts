import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { flowDocumentSchema, type FlowDocument, type FlowNode } from "@/server/flows/flow-document";
import { getNodeDefinition } from "@/server/nodes/registry";
import { isTrigger } from "@/server/nodes/define-node";

// The published, enabled flows a worker runs, indexed by the event type their trigger listens to.
// Reloaded when something changes (control message or the periodic check), and checked before each
// batch: a check of the database that started after the batch had arrived must have been seen. A
// flow enabled before an event was published is therefore always seen by that event — the event
// was stored after the change committed, and the check started after the event arrived. The check
// is the catalog's fingerprint (FINGERPRINT_SQL): a partition reads it in the same statement as its
// batch's dedup lookup (batch-lookup.ts, decision 0039) and hands it to `coverWith`; only when it
// differs from the loaded one does the catalog reload.

/** One row, one column `fingerprint`: enabled published flows, as count and newest change, as text (the same whichever client reads it). */
export const FINGERPRINT_SQL = `SELECT count(*)::text || ':' || coalesce((extract(epoch FROM max("updatedAt")) * 1000)::bigint::text, '0') AS fingerprint
  FROM "Flow" WHERE enabled AND "publishedVersion" IS NOT NULL`;

export interface CatalogFlow {
  flowId: string;
  version: number;
  document: FlowDocument;
  trigger: FlowNode;
  eventType: string;
  orderingPolicy: "hold" | "skip";
}

export function triggerEventType(trigger: FlowNode): string | undefined {
  const definition = getNodeDefinition(trigger.kind);
  if (!definition?.eventType) return undefined;
  if (definition.eventType !== "*") return definition.eventType;
  const configured = (trigger.config as { eventType?: unknown }).eventType;
  return typeof configured === "string" && configured ? configured : undefined;
}

export function toCatalogFlow(flowId: string, version: number, json: unknown): CatalogFlow | undefined {
  const parsed = flowDocumentSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const document = parsed.data;
  const trigger = document.nodes.find((node) => isTrigger(node));
  if (!trigger) return undefined;
  const eventType = triggerEventType(trigger);
  if (!eventType) return undefined;
  return { flowId, version, document, trigger, eventType, orderingPolicy: document.settings.orderingPolicy ?? "hold" };
}

export class FlowCatalog {
  private byType = new Map<string, CatalogFlow[]>();
  private byFlow = new Map<string, CatalogFlow>();
  /** Older versions still needed by held events and dead letters, loaded on demand. */
  private versions = new Map<string, CatalogFlow>();
  private fingerprint = "";
  private inFlight?: Promise<boolean>;
  private queued?: Promise<boolean>;

  constructor(private readonly db: PrismaClient) {}

  /**
   * Reloads if any flow changed since the last load; returns whether it did. Checks never overlap
   * (an older one could otherwise overwrite a newer result); a call made while one runs joins the
   * next one, which starts after it.
   */
  refresh(): Promise<boolean> {
    if (this.queued) return this.queued;
    if (!this.inFlight) return this.startCheck();
    const queued = this.inFlight.catch(() => false).then(() => {
      this.queued = undefined;
      return this.startCheck();
    });
    this.queued = queued;
    return queued;
  }

  /**
   * Resolves once the catalog includes every flow change committed before a read of the database
   * returned `fingerprint`: at once when it is the loaded one, else after a reload that starts now
   * (after that read).
   */
  async coverWith(fingerprint: string): Promise<void> {
    if (fingerprint !== this.fingerprint) await this.refresh();
  }

  private startCheck(): Promise<boolean> {
    const done = this.load();
    this.inFlight = done;
    void done.catch(() => undefined).finally(() => {
      if (this.inFlight === done) this.inFlight = undefined;
    });
    return done;
  }

  private async load(): Promise<boolean> {
    const [stats] = await this.db.$queryRawUnsafe<{ fingerprint: string }[]>(FINGERPRINT_SQL);
    const fingerprint = stats?.fingerprint ?? "";
    if (fingerprint === this.fingerprint) return false;
    const rows = await this.db.flow.findMany({
      where: { enabled: true, publishedVersion: { not: null } },
      select: { id: true, publishedVersion: true },
    });
    const versions = await this.db.flowVersion.findMany({
      where: { OR: rows.map((row) => ({ flowId: row.id, version: row.publishedVersion! })) },
    });
    const byType = new Map<string, CatalogFlow[]>();
    const byFlow = new Map<string, CatalogFlow>();
    for (const row of versions) {
      const flow = toCatalogFlow(row.flowId, row.version, row.document);
      if (!flow) continue;
      byFlow.set(flow.flowId, flow);
      this.versions.set(`${flow.flowId}@${flow.version}`, flow);
      const list = byType.get(flow.eventType) ?? [];
      list.push(flow);
      byType.set(flow.eventType, list);
    }
    this.byType = byType;
    this.byFlow = byFlow;
    this.fingerprint = fingerprint;
    return true;
  }

  flowsFor(eventType: string): readonly CatalogFlow[] {
    return this.byType.get(eventType) ?? [];
  }

  /** The ordering policy of a flow's current version (held events follow the flow's current setting). */
  policyOf(flowId: string): "hold" | "skip" {
    return this.byFlow.get(flowId)?.orderingPolicy ?? "hold";
  }

  /** A specific version, for events that started on it (retries and redrives keep their version). */
  async version(flowId: string, version: number): Promise<CatalogFlow | undefined> {
    const key = `${flowId}@${version}`;
    const cached = this.versions.get(key);
    if (cached) return cached;
    const row = await this.db.flowVersion.findUnique({ where: { flowId_version: { flowId, version } } });
    const flow = row ? toCatalogFlow(flowId, version, row.document) : undefined;
    if (flow) this.versions.set(key, flow);
    return flow;
  }

  get size(): number {
    return this.byFlow.size;
  }
}
