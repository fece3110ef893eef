import "server-only";
import type { Channel, ChannelModel, ConsumeMessage, RecoveringChannelModel } from "amqplib";
import { errorMessageOf, handOver } from "../hand-over";

// Consumes one RabbitMQ queue with manual acks: each delivery is handed to `handle` one at a time,
// in the queue's order, and acknowledged only when `handle` resolves (for a source: after the
// PubAck). A delivery `handle` cannot finish yet (NATS down) is retried with backoff and blocks
// the ones behind it, so a key's messages never overtake each other. The connection recovers by
// itself (amqplib's recovery, with backoff); what was delivered but not acknowledged when it broke
// is redelivered by the broker, in order, and the event ids make JetStream drop the repeats.
//
// The consumer is exclusive: of several worker processes only one consumes a queue at a time
// (per-key order across consumers would otherwise be lost); the others try again every few seconds.

export interface QueueMessage {
  body: Buffer;
  headers: Record<string, unknown>;
  messageId: string | undefined;
  routingKey: string;
  exchange: string;
  redelivered: boolean;
  contentType: string | undefined;
}

export interface QueueConsumerOptions {
  url: string;
  queue: string;
  prefetch: number;
  /** Resolves when the message may be acknowledged; throws to have it tried again after a backoff. */
  handle: (message: QueueMessage) => Promise<void>;
  onConnected?: (connected: boolean) => void;
  onError?: (message: string) => void;
  /** Messages ready in the queue, checked every `lagIntervalMs`. */
  onLag?: (ready: number) => void;
  lagIntervalMs?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
}


export class QueueConsumer {
  private connection?: RecoveringChannelModel;
  private channel?: Channel;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private exclusiveRetry?: NodeJS.Timeout;
  private lagTimer?: NodeJS.Timeout;

  constructor(private readonly options: QueueConsumerOptions) {}

  async start(): Promise<void> {
    const { url } = this.options;
    // Loaded with the first RabbitMQ source, not by every worker (docs/decisions/0031).
    const { default: amqplib } = await import("amqplib");
    this.connection = await amqplib.connect(url, {
      recovery: {
        initialDelay: 200,
        maxDelay: 10_000,
        factor: 2,
        jitter: 0.2,
        waitForConnect: false,
        setup: async (model: ChannelModel) => {
          await this.consume(model);
        },
      },
    });
    this.connection.on("connect", () => this.options.onConnected?.(true));
    this.connection.on("disconnect", (error: Error) => {
      this.channel = undefined;
      this.options.onConnected?.(false);
      if (!this.stopped) this.options.onError?.(`Connection to RabbitMQ lost: ${errorMessageOf(error)}`);
    });
    this.connection.on("connect-failed", (error: Error) => this.options.onError?.(`Cannot connect to RabbitMQ: ${errorMessageOf(error)}`));
    this.connection.on("error", (error: Error) => this.options.onError?.(errorMessageOf(error)));
    const interval = this.options.lagIntervalMs ?? 5_000;
    this.lagTimer = setInterval(() => void this.checkLag(), interval);
    this.lagTimer.unref();
  }

  private async consume(model: ChannelModel): Promise<void> {
    if (this.stopped) return;
    const channel = await model.createChannel();
    channel.on("error", () => undefined); // the close below says what happened
    channel.on("close", () => {
      if (this.channel === channel) this.channel = undefined;
    });
    await channel.prefetch(this.options.prefetch);
    try {
      await channel.checkQueue(this.options.queue);
      await channel.consume(this.options.queue, (message) => {
        if (message) this.enqueue(channel, message);
      }, { noAck: false, exclusive: true });
    } catch (error) {
      // The broker closes the channel on a missing queue or a queue another worker consumes.
      this.options.onError?.(errorMessageOf(error).includes("ACCESS_REFUSED")
        ? `Another worker consumes the queue "${this.options.queue}"; this one waits.`
        : `Cannot consume the queue "${this.options.queue}": ${errorMessageOf(error)}`);
      this.exclusiveRetry = setTimeout(() => void this.consume(model).catch(() => undefined), 5_000);
      this.exclusiveRetry.unref();
      return;
    }
    this.channel = channel;
    void this.checkLag();
  }

  private enqueue(channel: Channel, message: ConsumeMessage) {
    this.chain = this.chain.then(() => this.process(channel, message));
  }

  private async process(channel: Channel, message: ConsumeMessage): Promise<void> {
    const { properties, fields } = message;
    const queued: QueueMessage = {
      body: message.content,
      headers: (properties.headers ?? {}) as Record<string, unknown>,
      messageId: typeof properties.messageId === "string" && properties.messageId !== "" ? properties.messageId : undefined,
      routingKey: fields.routingKey,
      exchange: fields.exchange,
      redelivered: fields.redelivered,
      contentType: properties.contentType as string | undefined,
    };
    const taken = await handOver(() => this.options.handle(queued), {
      // A delivery of a channel that closed is redelivered on the next one: leave it to that.
      givenUp: () => this.stopped || this.channel !== channel,
      onError: this.options.onError,
      initialMs: this.options.retryInitialMs,
      maxMs: this.options.retryMaxMs,
    });
    if (!taken) return;
    try {
      channel.ack(message);
    } catch {
      // The channel closed after the PubAck: the broker redelivers it, and dedup drops the repeat.
    }
  }

  private async checkLag() {
    const channel = this.channel;
    if (!channel || !this.options.onLag) return;
    try {
      const { messageCount } = await channel.checkQueue(this.options.queue);
      this.options.onLag(messageCount);
    } catch {
      // A failed check closes the channel; the recovery or the next check tells.
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.exclusiveRetry);
    clearInterval(this.lagTimer);
    await this.chain.catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
  }
}
