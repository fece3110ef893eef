import "server-only";
import { z } from "zod";
import { db } from "@/server/db/client";
import { sharedNatsStatus } from "@/server/nats/connection";

export const componentHealthSchema = z.object({
  ok: z.boolean(),
  latencyMs: z.number().optional(),
  detail: z.string().optional(),
  error: z.string().optional(),
});
export const healthSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  database: componentHealthSchema,
  nats: componentHealthSchema.extend({ jetstream: z.boolean() }),
});
export type Health = z.infer<typeof healthSchema>;

async function databaseHealth(): Promise<Health["database"]> {
  const started = performance.now();
  try {
    await db().$queryRaw`SELECT 1`;
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, error: `Database unreachable: ${(error as Error).message}` };
  }
}

async function natsHealth(): Promise<Health["nats"]> {
  const started = performance.now();
  const result = await sharedNatsStatus(2_000);
  return {
    ok: result.ok,
    jetstream: result.jetstream,
    latencyMs: Math.round(performance.now() - started),
    detail: result.server ? `nats-server ${result.server}` : undefined,
    error: result.error,
  };
}

export async function health(): Promise<Health> {
  const [database, nats] = await Promise.all([databaseHealth(), natsHealth()]);
  return { status: database.ok && nats.ok ? "ok" : "degraded", database, nats };
}
