import "server-only";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { eventsStreamName, type StreamLayout } from "@/server/runtime/stream-layout";

// What JetStream says about the events stream: the facts an operator checks first when events
// seem stuck (is the broker up, how much is stored, how far behind is each partition's consumer).

export interface PartitionLag {
  partition: number;
  /** Events not yet delivered plus delivered but not yet acked. */
  lag: number;
  /** Messages delivered more than once that are still waiting for an ack. */
  redelivered: number;
}

export interface BrokerStatus {
  ok: boolean;
  error: string | null;
  serverVersion: string | null;
  stream: { name: string; messages: number; bytes: number; consumers: number } | null;
  partitions: PartitionLag[];
}

export async function brokerStatus(nc: NatsConnection, layout: Pick<StreamLayout, "prefix" | "partitions">, timeoutMs = 2_000): Promise<BrokerStatus> {
  const name = eventsStreamName(layout);
  const serverVersion = nc.info?.version ?? null;
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc, { timeout: timeoutMs });
  } catch (error) {
    return { ok: false, error: `JetStream did not answer: ${(error as Error).message}`, serverVersion, stream: null, partitions: [] };
  }
  try {
    const info = await jsm.streams.info(name);
    const partitions = await Promise.all(
      Array.from({ length: layout.partitions }, async (_, partition): Promise<PartitionLag> => {
        try {
          const consumer = await jsm.consumers.info(name, `${name}_p${partition}`);
          return { partition, lag: consumer.num_pending + consumer.num_ack_pending, redelivered: consumer.num_redelivered };
        } catch {
          // No consumer: nobody has owned this partition yet; everything stored for it waits.
          return { partition, lag: 0, redelivered: 0 };
        }
      }),
    );
    return {
      ok: true, error: null, serverVersion,
      stream: { name, messages: info.state.messages, bytes: info.state.bytes, consumers: info.state.consumer_count },
      partitions,
    };
  } catch (error) {
    return { ok: false, error: `Cannot read stream ${name}: ${(error as Error).message}`, serverVersion, stream: null, partitions: [] };
  }
}
