import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { channelTypes, type ChannelType } from "@/server/channels/channel-types";
import { credentialTypes, isCredentialType, type CredentialType } from "@/server/credentials/credential-types";
import type { z } from "zod";
import { configFieldMeta } from "@/server/nodes/config-fields";
import { getNodeDefinition } from "@/server/nodes/registry";
import type { FlowDocument, FlowNode } from "./flow-document";
import type { FlowProblem } from "./validate-flow";

// What validateFlow cannot know because it runs in the browser without the database: that the
// channels and credentials a flow names exist and fit, and that a webhook path is free. Publishing
// runs these too, so a flow that publishes can run instead of dead-lettering "channel not found".

type Db = Pick<PrismaClient, "channel" | "credential" | "$queryRaw">;

/** The credential type a node's credential field needs, when it needs a specific one. */
function expectedCredentialType(node: FlowNode, field: string): CredentialType | undefined {
  const config = node.config as Record<string, unknown>;
  if (node.kind === "action:translate" && field === "credentialId" && typeof config.provider === "string" && isCredentialType(config.provider)) return config.provider;
  if (node.kind === "action:generate-content" && field === "credentialId") return "openai";
  if (node.kind === "trigger:webhook" && field === "secretCredentialId") return "webhook";
  return undefined;
}

function nodeName(node: FlowNode): string {
  return `${getNodeDefinition(node.kind)?.label ?? node.kind} "${node.id}"`;
}

/** The string fields of a node's config that refer to a channel or credential, with their label. */
function referencesOf(node: FlowNode): { field: string; title: string; kind: "channel" | "credential"; id: string }[] {
  const definition = getNodeDefinition(node.kind);
  if (!definition) return [];
  const shape = (definition.config as unknown as { shape?: Record<string, z.core.$ZodType> }).shape ?? {};
  const out: { field: string; title: string; kind: "channel" | "credential"; id: string }[] = [];
  for (const [field, schema] of Object.entries(shape)) {
    const meta = configFieldMeta(schema);
    const kind = meta?.reference;
    const id = (node.config as Record<string, unknown>)[field];
    if ((kind === "channel" || kind === "credential") && typeof id === "string" && id.trim() !== "") {
      out.push({ field, title: String(meta?.title ?? field), kind, id: id.trim() });
    }
  }
  return out;
}

export async function checkReferences(db: Db, flowId: string | null, document: FlowDocument): Promise<FlowProblem[]> {
  const references = document.nodes.flatMap((node) => referencesOf(node).map((ref) => ({ node, ...ref })));
  const channelIds = [...new Set(references.filter((r) => r.kind === "channel").map((r) => r.id))];
  const channels = new Map((await db.channel.findMany({ where: { id: { in: channelIds } }, select: { id: true, name: true, type: true, credentialId: true, credential: { select: { type: true } } } })).map((c) => [c.id, c]));
  const credentialIds = [...new Set(references.filter((r) => r.kind === "credential").map((r) => r.id))];
  const credentials = new Map((await db.credential.findMany({ where: { id: { in: credentialIds } }, select: { id: true, name: true, type: true } })).map((c) => [c.id, c]));

  const problems: FlowProblem[] = [];
  const problem = (node: FlowNode, field: string, title: string, message: string) =>
    problems.push({ code: "invalid-config", nodeId: node.id, field, message: `${nodeName(node)}: ${title}: ${message}` });

  for (const ref of references) {
    if (ref.kind === "channel") {
      const channel = channels.get(ref.id);
      if (!channel) {
        problem(ref.node, ref.field, ref.title, "this channel does not exist (it may have been deleted); choose another");
        continue;
      }
      const needed = channelTypes[channel.type as ChannelType]?.credentialType;
      if (!channel.credentialId) problem(ref.node, ref.field, ref.title, `the channel "${channel.name}" has no credential; set one on the Channels page`);
      else if (needed && channel.credential && channel.credential.type !== needed) {
        problem(ref.node, ref.field, ref.title, `the channel "${channel.name}" needs a ${credentialTypes[needed].label} credential, not ${channel.credential.type}`);
      }
    } else {
      const credential = credentials.get(ref.id);
      if (!credential) {
        problem(ref.node, ref.field, ref.title, "this credential does not exist (it may have been deleted); choose another");
        continue;
      }
      const needed = expectedCredentialType(ref.node, ref.field);
      if (needed && credential.type !== needed) {
        problem(ref.node, ref.field, ref.title, `"${credential.name}" is a ${credentialTypes[credential.type as CredentialType]?.label ?? credential.type} credential; choose a ${credentialTypes[needed].label} credential`);
      }
    }
  }

  // A webhook path belongs to one flow: the route would not know which flow to start otherwise.
  for (const node of document.nodes) {
    if (node.kind !== "trigger:webhook") continue;
    const path = (node.config as { path?: unknown }).path;
    if (typeof path !== "string" || path === "") continue;
    const taken = await db.$queryRaw<{ name: string }[]>`
      SELECT f.name FROM "Flow" f JOIN "FlowVersion" v ON v."flowId" = f.id AND v.version = f."publishedVersion"
      WHERE f.id IS DISTINCT FROM ${flowId} AND v.document->'nodes' @> ${JSON.stringify([{ kind: "trigger:webhook", config: { path } }])}::jsonb
      LIMIT 1`;
    if (taken[0]) problem(node, "path", "Path", `the flow "${taken[0].name}" already uses the webhook path "${path}"; choose another`);
  }
  return problems;
}
