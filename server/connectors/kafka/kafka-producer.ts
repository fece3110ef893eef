import "server-only";
import type { KafkaConfig, Producer } from "kafkajs";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";

// Produces to Kafka with an idempotent producer (acks from all in-sync replicas, one request in
// flight, sequence numbers per partition): a batch kafkajs sends again after a lost answer is
// stored once by the broker. One producer per cluster and credential, opened on first use and
// dropped after a failure, so the next attempt starts on a fresh connection.
//
// Failures: a cluster that cannot be reached, times out or is electing leaders → TransientError
// with systemDown (the runtime keeps retrying and holds the key's later events, in order); an
// unknown topic, a record too large, a refused sign-in or authorisation → PermanentError.

export interface ProduceInput {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export interface Produced {
  partition: number;
  offset: string;
}

const producers = new Map<string, Promise<Producer>>();

/** Protocol errors no retry can fix (kafkajs's `type` names, as in the Kafka protocol). */
const permanentTypes = new Set([
  "UNKNOWN_TOPIC_OR_PARTITION", "MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE", "INVALID_RECORD", "INVALID_TOPIC_EXCEPTION",
  "TOPIC_AUTHORIZATION_FAILED", "CLUSTER_AUTHORIZATION_FAILED", "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", "SASL_AUTHENTICATION_FAILED",
  "UNSUPPORTED_SASL_MECHANISM", "ILLEGAL_SASL_STATE", "INVALID_REQUIRED_ACKS",
]);

const words: Record<string, string> = {
  UNKNOWN_TOPIC_OR_PARTITION: "the topic does not exist",
  MESSAGE_TOO_LARGE: "the message is larger than the topic accepts",
  RECORD_LIST_TOO_LARGE: "the message is larger than the topic accepts",
  TOPIC_AUTHORIZATION_FAILED: "the credential may not write to the topic",
  SASL_AUTHENTICATION_FAILED: "the user name or password was refused",
};

function chain(error: unknown): { name?: string; type?: string; message?: string }[] {
  const out: { name?: string; type?: string; message?: string }[] = [];
  let current = error as { name?: string; type?: string; message?: string; cause?: unknown; originalError?: unknown } | undefined;
  while (current && out.length < 10) {
    out.push(current);
    current = (current.cause ?? current.originalError) as typeof current;
  }
  return out;
}

export function classifyKafkaError(error: unknown, topic: string): Error {
  if (error instanceof TransientError || error instanceof PermanentError) return error;
  const causes = chain(error);
  const permanent = causes.find((c) => (c.type && permanentTypes.has(c.type)) || c.name === "KafkaJSSASLAuthenticationError");
  const message = causes.at(-1)?.message ?? String(error);
  if (permanent) {
    const reason = (permanent.type && words[permanent.type]) ?? permanent.message ?? message;
    return new PermanentError(`Kafka refused the message for "${topic}": ${reason}.`, { cause: error });
  }
  return new TransientError(`Kafka is unreachable or not ready: ${message}`, { systemDown: true, cause: error });
}

function producerFor(id: string, config: KafkaConfig): Promise<Producer> {
  let producer = producers.get(id);
  if (!producer) {
    const opening = (async () => {
      // Loaded on first use: most workers never run this node, and the SDK costs the process memory (docs/decisions/0031).
      const { Kafka } = await import("kafkajs");
      const kafka = new Kafka({ ...config, retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 5 } });
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await p.connect();
      return p;
    })();
    producer = opening;
    producers.set(id, opening);
    opening.catch(() => {
      if (producers.get(id) === opening) producers.delete(id);
    });
  }
  return producer;
}

async function forget(id: string) {
  const producer = producers.get(id);
  producers.delete(id);
  await (await producer?.catch(() => undefined))?.disconnect().catch(() => undefined);
}

/** `id` names the cluster and credential the producer is for (one producer each). */
export async function produceIdempotent(id: string, config: KafkaConfig, input: ProduceInput): Promise<Produced> {
  try {
    const producer = await producerFor(id, config);
    const [sent] = await producer.send({
      topic: input.topic,
      acks: -1,
      messages: [{ key: input.key, value: input.value, headers: input.headers }],
    });
    return { partition: sent?.partition ?? -1, offset: sent?.baseOffset ?? "" };
  } catch (error) {
    await forget(id);
    throw classifyKafkaError(error, input.topic);
  }
}

/** Disconnects every producer (tests, shutdown). */
export async function closeKafkaProducers(): Promise<void> {
  await Promise.all([...producers.keys()].map((id) => forget(id)));
}
