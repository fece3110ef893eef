import "server-only";
import { deadline, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { env } from "@/server/env";
import { sharedNats } from "@/server/nats/connection";
import { controlSubject, type StreamLayout } from "./stream-layout";

// The one channel on which the web app tells running workers that something changed: flows were
// published or enabled (reload the catalog), dead letters were redriven or discarded (the owning
// partition looks at once). Workers poll for both anyway, so a lost message only delays the
// reaction by about a second; that is why notifying is best effort and never fails the request
// whose change already committed.

export type WorkerChange =
  | { topic: "flows" }
  | { topic: "dead-letters"; partition: number; deadLetterIds: string[] };

export type WorkerNotifier = (changes: WorkerChange[]) => Promise<void>;

export function natsWorkerNotifier({
  connection = sharedNats,
  prefix,
  timeoutMs = 1_000,
}: { connection?: () => Promise<NatsConnection>; prefix?: string; timeoutMs?: number } = {}): WorkerNotifier {
  return async (changes) => {
    if (changes.length === 0) return;
    try {
      const nc = await deadline(connection(), timeoutMs).catch((error: Error) => {
        throw new Error(`no NATS connection within ${timeoutMs} ms (${error.message})`);
      });
      const layout = { prefix: prefix ?? env().SYNCLINE_PREFIX };
      for (const change of changes) {
        if (change.topic === "flows") nc.publish(controlSubject(layout, "flows"), "");
        else nc.publish(controlSubject(layout, "dead-letters"), JSON.stringify({ partition: change.partition, deadLetterIds: change.deadLetterIds }));
      }
      await deadline(nc.flush(), timeoutMs).catch((error: Error) => {
        throw new Error(`NATS did not confirm within ${timeoutMs} ms (${error.message})`);
      });
    } catch (error) {
      console.warn(`[syncline] could not notify workers of ${describe(changes)} (they pick it up on their next poll): ${(error as Error).message}`);
    }
  };
}

function describe(changes: WorkerChange[]): string {
  return changes.map((c) => (c.topic === "flows" ? "a flow change" : `dead letters ${c.deadLetterIds.join(", ")}`)).join("; ");
}

/** Tells workers that published or enabled flows changed. */
export function notifyFlowsChanged(): Promise<void> {
  return natsWorkerNotifier()([{ topic: "flows" }]);
}

/** The worker's side: calls back on each change; a dead-letter change without a readable partition concerns every partition. */
export function listenForChanges(
  nc: NatsConnection,
  layout: Pick<StreamLayout, "prefix">,
  on: { flows: () => void; deadLetters: (partition: number | undefined) => void },
): Subscription[] {
  return [
    nc.subscribe(controlSubject(layout, "flows"), { callback: () => on.flows() }),
    nc.subscribe(controlSubject(layout, "dead-letters"), {
      callback: (_error, msg) => {
        let partition: number | undefined;
        try {
          const body = msg.json<{ partition?: unknown }>();
          if (typeof body.partition === "number") partition = body.partition;
        } catch {
          // unreadable: treat as "something changed somewhere"
        }
        on.deadLetters(partition);
      },
    }),
  ];
}
