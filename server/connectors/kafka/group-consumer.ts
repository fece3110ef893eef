import "server-only";
import type { Admin, Consumer, Kafka, KafkaConfig, KafkaMessage } from "kafkajs";
import { errorMessageOf, handOver } from "../hand-over";

// Consumes one Kafka topic as a member of a consumer group, with manual commits: each message is
// handed to `handle`, and its offset is committed only when `handle` resolves (for a source: after
// the PubAck). Kafka orders per partition; the partitions assigned to this member are worked on
// side by side, each one message at a time, so a key (which Kafka keeps in one partition) keeps its
// order. A message `handle` cannot finish yet (NATS down) is retried with backoff, heart-beating,
// and blocks its partition. When the connection breaks, or a commit is lost, kafkajs restarts the
// consumer and the group hands out the partitions again from the committed offsets: messages taken
// in but not committed come again, and their event ids make JetStream drop the repeats.
//
// Several workers consuming the same source join the same group and split the partitions between
// them (docs/decisions/0025-kafka-source-and-target.md).

export interface TopicMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  body: Buffer;
  headers: Record<string, string | string[]>;
  timestamp: string;
}

export interface GroupConsumerOptions {
  client: KafkaConfig;
  topic: string;
  groupId: string;
  /** Resolves when the message's offset may be committed; throws to have it tried again after a backoff. */
  handle: (message: TopicMessage) => Promise<void>;
  onConnected?: (connected: boolean) => void;
  onError?: (message: string) => void;
  /** Messages not yet committed by the group (high watermark − committed offset, summed), every `lagIntervalMs`. */
  onLag?: (lag: number) => void;
  lagIntervalMs?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Partitions worked on side by side by this member (each still in order); default 4. */
  partitionsConcurrently?: number;
}


function headerValues(headers: KafkaMessage["headers"]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map((v) => v.toString()) : value.toString();
  }
  return out;
}

export class GroupConsumer {
  private kafka?: Kafka;
  private consumer?: Consumer;
  private admin?: Admin;
  private stopped = false;
  private lagTimer?: NodeJS.Timeout;
  private restartTimer?: NodeJS.Timeout;

  constructor(private readonly options: GroupConsumerOptions) {}

  async start(): Promise<void> {
    // Loaded with the first Kafka source, not by every worker (docs/decisions/0031).
    const { Kafka } = await import("kafkajs");
    this.kafka = new Kafka({
      ...this.options.client,
      retry: { initialRetryTime: 200, maxRetryTime: 10_000, retries: 8 },
    });
    const interval = this.options.lagIntervalMs ?? 5_000;
    this.lagTimer = setInterval(() => void this.checkLag(), interval);
    this.lagTimer.unref();
    await this.run();
  }

  /** Connects, joins the group and consumes; a failure to connect is retried, not thrown. */
  private async run(): Promise<void> {
    if (this.stopped) return;
    const { topic, groupId } = this.options;
    const consumer = this.kafka!.consumer({
      groupId,
      maxWaitTimeInMs: 1_000,
      // kafkajs restarts the consumer after a retriable crash (a lost connection, a lost commit).
      retry: { initialRetryTime: 200, maxRetryTime: 10_000, retries: 5, restartOnFailure: async () => !this.stopped },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => this.options.onConnected?.(true));
    consumer.on(consumer.events.CRASH, (event) => {
      this.options.onConnected?.(false);
      if (!this.stopped) this.options.onError?.(`Connection to Kafka lost: ${errorMessageOf(event.payload.error)}`);
      // A crash kafkajs does not restart from (not retriable): start again ourselves, later.
      if (!event.payload.restart && !this.stopped) this.restartLater(consumer);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 4,
        eachMessage: async ({ topic: from, partition, message, heartbeat }) => {
          const taken = await this.take({
            topic: from,
            partition,
            offset: message.offset,
            key: message.key ? message.key.toString("utf8") : null,
            body: message.value ?? Buffer.alloc(0),
            headers: headerValues(message.headers),
            timestamp: message.timestamp,
          }, heartbeat);
          // Stopping before the message was taken in: not committed, it comes again next time.
          if (!taken) return;
          // A commit that fails (connection lost) throws: kafkajs restarts from the committed offset.
          await consumer.commitOffsets([{ topic: from, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
        },
      });
    } catch (error) {
      this.options.onConnected?.(false);
      this.options.onError?.(`Cannot consume the Kafka topic "${topic}": ${errorMessageOf(error)}`);
      this.restartLater(consumer);
    }
  }

  private restartLater(consumer: Consumer) {
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      void consumer.disconnect().catch(() => undefined).then(() => this.run());
    }, 5_000);
    this.restartTimer.unref();
  }

  /** Hands the message to `handle` until it succeeds; false when stopped first. */
  private async take(message: TopicMessage, heartbeat: () => Promise<void>): Promise<boolean> {
    return handOver(() => this.options.handle(message), {
      givenUp: () => this.stopped,
      onError: this.options.onError,
      betweenTries: heartbeat,
      initialMs: this.options.retryInitialMs,
      maxMs: this.options.retryMaxMs,
    });
  }

  private async checkLag() {
    if (!this.options.onLag || this.stopped) return;
    try {
      this.admin ??= this.kafka!.admin();
      await this.admin.connect();
      const [high, [committed]] = await Promise.all([
        this.admin.fetchTopicOffsets(this.options.topic),
        this.admin.fetchOffsets({ groupId: this.options.groupId, topics: [this.options.topic] }),
      ]);
      const done = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      let lag = 0n;
      for (const p of high) {
        const at = done.get(p.partition) ?? -1n;
        lag += BigInt(p.high) - (at >= 0n ? at : BigInt(p.low));
      }
      this.options.onLag(Number(lag));
    } catch {
      // The consumer's own errors say what is wrong with the connection; the next check starts afresh.
      const admin = this.admin;
      this.admin = undefined;
      await admin?.disconnect().catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.lagTimer);
    clearTimeout(this.restartTimer);
    await this.consumer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.options.onConnected?.(false);
  }
}
