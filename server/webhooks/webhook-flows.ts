import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import type { FlowNode } from "@/server/flows/flow-document";

// Which flow a webhook path belongs to. The path lives in the trigger's config inside the
// published flow document, so this asks Postgres with jsonb containment instead of loading every
// flow.

export interface WebhookFlow {
  flowId: string;
  enabled: boolean;
  version: number;
  trigger: FlowNode;
}

const webhookNodePattern = (path: string) => JSON.stringify([{ kind: "trigger:webhook", config: { path } }]);

/** Published flows whose current version has a webhook trigger on `path` (normally at most one). */
export async function findWebhookFlows(db: PrismaClient, path: string): Promise<WebhookFlow[]> {
  const rows = await db.$queryRaw<{ flowId: string; enabled: boolean; version: number; nodes: FlowNode[] }[]>`
    SELECT f.id AS "flowId", f.enabled, v.version, v.document->'nodes' AS nodes
    FROM "Flow" f JOIN "FlowVersion" v ON v."flowId" = f.id AND v.version = f."publishedVersion"
    WHERE v.document->'nodes' @> ${webhookNodePattern(path)}::jsonb
    ORDER BY f.enabled DESC, f."createdAt"`;
  return rows.map((row) => ({
    flowId: row.flowId,
    enabled: row.enabled,
    version: row.version,
    trigger: row.nodes.find((node) => node.kind === "trigger:webhook" && (node.config as { path?: unknown }).path === path)!,
  }));
}
