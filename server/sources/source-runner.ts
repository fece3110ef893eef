import "server-only";
import type { NatsConnection } from "@nats-io/transport-node";
import type { PrismaClient } from "@/server/db/generated/client";
import { readCredentialSecret } from "@/server/credentials/credential-store";
import { QueueConsumer } from "@/server/connectors/rabbitmq/queue-consumer";
import { GroupConsumer } from "@/server/connectors/kafka/group-consumer";
import { kafkaClientConfig, parseBrokers } from "@/server/connectors/kafka/kafka-connection";
import type { IngestOptions } from "@/server/events/ingest";
type StreamLayout = NonNullable<IngestOptions["layout"]>;
import { sourceKinds } from "./source-kinds";
import { listSources, recordSourceConnection, recordSourceError, recordSourceLag, recordSourceMessage, type Source } from "./source-store";
import { takeInMessage } from "./take-in-message";

// Runs the pull sources (RabbitMQ, Kafka) inside a worker process: one consumer per enabled source,
// started, restarted on a change and stopped on removal as the Sources table says (checked every
// `refreshMs`). Push sources need no runner: their broker calls /api/sources/{id}/….

export interface SourceRunnerOptions {
  db: PrismaClient;
  nats: () => Promise<NatsConnection>;
  layout: StreamLayout;
  refreshMs?: number;
  lagIntervalMs?: number;
  log?: (message: string) => void;
}

interface Running {
  version: string;
  consumer: { start(): Promise<void>; stop(): Promise<void> };
}

export class SourceRunner {
  private readonly running = new Map<string, Running>();
  private timer?: NodeJS.Timeout;
  private refreshing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: SourceRunnerOptions) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs ?? 5_000);
    this.timer.unref();
  }

  /** Brings the running consumers in line with the Sources table. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.sync()).catch((error: unknown) => this.options.log?.(`sources: ${String(error)}`));
    return this.refreshing;
  }

  private async sync() {
    if (this.stopped) return;
    const { db } = this.options;
    const wanted = (await listSources(db)).filter((s) => s.enabled && sourceKinds[s.kind]?.mode === "pull");
    // What the consumer is built from: a change to any of it restarts the consumer.
    const versions = new Map(wanted.map((s) => [s.id, JSON.stringify([s.kind, s.credentialId, s.settings, s.mapping])]));
    for (const [id, running] of this.running) {
      if (versions.get(id) !== running.version) {
        this.running.delete(id);
        await running.consumer.stop();
        await recordSourceConnection(db, id, false);
      }
    }
    for (const source of wanted) {
      if (this.running.has(source.id) || this.stopped) continue;
      const consumer = await this.consumerFor(source);
      if (!consumer) continue;
      this.running.set(source.id, { version: versions.get(source.id)!, consumer });
      await consumer.start();
    }
  }

  private async consumerFor(source: Source): Promise<Running["consumer"] | undefined> {
    if (source.kind === "kafka") return this.kafkaConsumerFor(source);
    const { db } = this.options;
    let url: string | undefined;
    try {
      url = source.credentialId ? (await readCredentialSecret(db, source.credentialId)).secret.url : undefined;
    } catch {
      url = undefined;
    }
    if (!url) {
      await recordSourceError(db, source.id, "The source's credential is missing or cannot be read; choose one in Settings → Sources.");
      return undefined;
    }
    const settings = sourceKinds.rabbitmq.settings.parse(source.settings);
    const intake = this.intake(source);
    return new QueueConsumer({
      url,
      queue: settings.queue,
      prefetch: settings.prefetch,
      lagIntervalMs: this.options.lagIntervalMs,
      handle: (message) => intake.take({
        body: message.body,
        headers: message.headers,
        messageId: message.messageId,
        fields: { routingKey: message.routingKey, exchange: message.exchange, redelivered: message.redelivered },
      }),
      onConnected: intake.onConnected,
      onError: intake.onError,
      onLag: intake.onLag,
    });
  }

  /** Health callbacks and the hand-over to the ingest path, the same for every pull source. */
  private intake(source: Source) {
    const { db } = this.options;
    const note = (what: Promise<void>) => void what.catch(() => undefined);
    return {
      take: async (message: Parameters<typeof takeInMessage>[1]) => {
        const outcome = await takeInMessage(source, message, { db, nats: this.options.nats, layout: this.options.layout });
        note(recordSourceMessage(db, source.id));
        if (outcome.status === "dead-lettered") note(recordSourceError(db, source.id, outcome.error));
      },
      onConnected: (connected: boolean) => note(recordSourceConnection(db, source.id, connected)),
      onError: (message: string) => {
        this.options.log?.(`source ${source.name}: ${message}`);
        note(recordSourceError(db, source.id, message));
      },
      onLag: (lag: number) => note(recordSourceLag(db, source.id, lag)),
    };
  }

  private async kafkaConsumerFor(source: Source): Promise<GroupConsumer | undefined> {
    const { db } = this.options;
    const intake = this.intake(source);
    const settings = sourceKinds.kafka.settings.parse(source.settings);
    let client;
    try {
      const credential = source.credentialId ? await readCredentialSecret(db, source.credentialId) : undefined;
      client = kafkaClientConfig(parseBrokers(settings.brokers), credential, `syncline-source-${source.id}`);
    } catch (error) {
      await recordSourceError(db, source.id, `The source's connection cannot be set up: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
    return new GroupConsumer({
      client,
      topic: settings.topic,
      groupId: settings.groupId,
      lagIntervalMs: this.options.lagIntervalMs,
      handle: (message) => intake.take({
        body: message.body,
        headers: message.headers,
        // The default event id: where the message is in the log, the same on every redelivery.
        messageId: `${message.topic}/${message.partition}/${message.offset}`,
        fields: { key: message.key, topic: message.topic, partition: message.partition, offset: message.offset, timestamp: message.timestamp },
      }),
      onConnected: intake.onConnected,
      onError: intake.onError,
      onLag: intake.onLag,
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.refreshing;
    await Promise.all([...this.running.values()].map((r) => r.consumer.stop()));
    await Promise.all([...this.running.keys()].map((id) => recordSourceConnection(this.options.db, id, false).catch(() => undefined)));
    this.running.clear();
  }
}
