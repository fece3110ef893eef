import "server-only";
import { env } from "@/server/env";
import { sharedNats } from "@/server/nats/connection";
import { controlSubject } from "./stream-layout";

/**
 * Tells running workers that published or enabled flows changed, so they reload at once instead
 * of at their next periodic check (about a second later). Best effort: a NATS outage must not
 * fail the publish that already committed.
 */
export async function notifyFlowsChanged(): Promise<void> {
  try {
    const nc = await Promise.race([
      sharedNats(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no NATS connection within 1 s")), 1_000)),
    ]);
    nc.publish(controlSubject({ prefix: env().SYNCLINE_PREFIX }, "flows"), "");
  } catch (error) {
    console.warn(`[syncline] could not notify workers of a flow change: ${(error as Error).message}`);
  }
}
