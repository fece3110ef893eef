export { waitUntil } from "@/server/testing/wait-until";
import { getFlowTemplate } from "@/server/flows/templates";
import type { FlowDocument } from "@/server/flows/flow-document";
import { createCredential } from "@/server/credentials/credential-store";
import { createChannel } from "@/server/channels/channel-store";
import type { PrismaClient } from "@/server/db/generated/client";
import { FakePlatformServer, type FakeRequest, type FakeResponse } from "@/server/connectors/channels/testing/fake-server";

// Helpers for running the seed's flow templates (server/flows/templates.ts) end to end: the
// template's placeholder channel / credential ids and example URLs are swapped for real rows and
// local servers, and its outside-calling steps get a quick retry policy so that a test waits for
// a recovered system in milliseconds rather than the minutes a production policy allows.

/** Quick retries for tests; still patient enough (many attempts) that nothing is dead-lettered. */
const FAST_RETRY = { attempts: 10, initialBackoffMs: 20, maxBackoffMs: 250, jitter: 0.2 };

export interface TemplateRewrite {
  /** Placeholder channel id → real channel id. */
  channels?: Record<string, string>;
  /** Placeholder credential id → real credential id. */
  credentials?: Record<string, string>;
  /** Origin in the template (e.g. https://crm.example.com) → local origin. */
  origins?: Record<string, string>;
}

/**
 * The template's document with its references pointed at real rows and local servers. Fails when
 * a placeholder is left over, so that a changed template cannot silently reach the internet.
 */
export function templateDocument(templateId: string, rewrite: TemplateRewrite): FlowDocument {
  const template = getFlowTemplate(templateId);
  if (!template) throw new Error(`no template ${templateId}`);
  const document = structuredClone(template.document);
  for (const node of document.nodes) {
    const config = node.config;
    if (typeof config.channelId === "string") {
      const real = rewrite.channels?.[config.channelId];
      if (!real) throw new Error(`${templateId}: no channel for placeholder "${config.channelId}"`);
      config.channelId = real;
    }
    if (typeof config.credentialId === "string") {
      const real = rewrite.credentials?.[config.credentialId];
      if (!real) throw new Error(`${templateId}: no credential for placeholder "${config.credentialId}"`);
      config.credentialId = real;
    }
    if (typeof config.url === "string") {
      const url = new URL(config.url);
      const local = rewrite.origins?.[url.origin];
      if (!local) throw new Error(`${templateId}: no local server for ${url.origin}`);
      config.url = `${local}${url.pathname}${url.search}`;
      config.timeoutMs = 2_000;
    }
    if (config.retry !== undefined) config.retry = { ...FAST_RETRY };
  }
  return document;
}

/** Creates a credential and a channel using it; returns the channel id. */
export async function createTestChannel(
  db: PrismaClient,
  input: { name: string; type: string; credentialType: string; secret: Record<string, string>; settings: Record<string, unknown> },
): Promise<string> {
  const credential = await createCredential(db, { name: `${input.name} credential`, type: input.credentialType, secret: input.secret });
  const channel = await createChannel(db, { name: input.name, type: input.type, credentialId: credential.id, settings: input.settings });
  return channel.id;
}

export interface AppliedCall {
  path: string;
  idempotencyKey: string;
  body: Record<string, unknown>;
}

/**
 * A plain HTTP service (a CRM, a shipping provider, an ERP) that applies each Idempotency-Key
 * once and keeps what it applied, in order. Stops and starts on the same port like the platform fakes.
 */
export class FakeHttpService extends FakePlatformServer {
  readonly applied: AppliedCall[] = [];
  private readonly seen = new Set<string>();

  protected handle(request: FakeRequest): FakeResponse {
    if (request.method !== "POST") return { status: 405, body: { message: "POST only" } };
    const idempotencyKey = String(request.headers["idempotency-key"] ?? "");
    if (!idempotencyKey) return { status: 400, body: { message: "Idempotency-Key header is required" } };
    if (this.seen.has(idempotencyKey)) return { status: 200, body: { status: "unchanged" } };
    this.seen.add(idempotencyKey);
    this.applied.push({ path: request.path, idempotencyKey, body: (request.json ?? {}) as Record<string, unknown> });
    return { status: 201, body: { status: "created" } };
  }
}

/** The event id inside a step idempotency key `${eventId}:${flowId}:v1:${nodeId}`. */
export function eventIdOf(idempotencyKey: string): string {
  return idempotencyKey.split(":")[0]!;
}

/** Drops immediate repeats (a call repeated after a connection was cut mid-answer). */
export function withoutRepeats<T>(values: T[]): T[] {
  return values.filter((value, i) => i === 0 || JSON.stringify(value) !== JSON.stringify(values[i - 1]));
}
