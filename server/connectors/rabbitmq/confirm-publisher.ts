import "server-only";
import type { ChannelModel, ConfirmChannel } from "amqplib";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";

// Publishes to RabbitMQ with publisher confirms: a publish resolves only when the broker took the
// message (a confirm), so a step succeeds only for a message the broker has. One connection and
// confirm channel per AMQP URL, opened on first use and reopened after it breaks.
//
// Failures: a broker that cannot be reached, closes the connection or nacks → TransientError with
// systemDown (the runtime keeps retrying and holds the key's later events, in order); a missing
// exchange or a refused sign-in → PermanentError (no retry makes the exchange appear).

export interface PublishInput {
  exchange: string;
  routingKey: string;
  body: Buffer;
  messageId: string;
  headers?: Record<string, string>;
  contentType?: string;
  persistent?: boolean;
}

interface Link {
  connection: ChannelModel;
  channel: ConfirmChannel;
  closed: boolean;
}

const links = new Map<string, Promise<Link>>();

function classify(error: unknown): Error {
  if (error instanceof TransientError || error instanceof PermanentError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  if (code === 404 || /NOT_FOUND/.test(message)) return new PermanentError(`RabbitMQ refused the publish: ${message}`, { cause: error });
  if (code === 403 || /ACCESS_REFUSED|ACCESS-REFUSED/.test(message)) return new PermanentError(`RabbitMQ refused the sign-in or publish: ${message}`, { cause: error });
  return new TransientError(`RabbitMQ is unreachable or closed the connection: ${message}`, { systemDown: true, cause: error });
}

async function open(url: string, onClosed: () => void): Promise<Link> {
  // Loaded on first use: most workers never run this node, and the SDK costs the process memory (docs/decisions/0031).
  const { default: amqplib } = await import("amqplib");
  const connection = await amqplib.connect(url, { timeout: 5_000 });
  const channel = await connection.createConfirmChannel();
  const link: Link = { connection, channel, closed: false };
  const forget = () => {
    link.closed = true;
    onClosed();
  };
  connection.on("error", () => undefined);
  connection.on("close", forget);
  channel.on("error", () => undefined);
  channel.on("close", () => {
    forget();
    void connection.close().catch(() => undefined);
  });
  return link;
}

function linkFor(url: string): Promise<Link> {
  let link = links.get(url);
  if (!link) {
    const opening: Promise<Link> = open(url, () => {
      if (links.get(url) === opening) links.delete(url);
    });
    link = opening;
    links.set(url, opening);
    opening.catch(() => {
      if (links.get(url) === opening) links.delete(url);
    });
  }
  return link;
}

export async function publishConfirmed(url: string, input: PublishInput): Promise<void> {
  let link: Link;
  try {
    link = await linkFor(url);
  } catch (error) {
    throw classify(error);
  }
  const { channel } = link;
  await new Promise<void>((resolve, reject) => {
    // A channel the broker closes (e.g. a missing exchange) never confirms: its close says why.
    let reason: unknown;
    const onError = (error: unknown) => { reason = error; };
    const onClose = () => settle(classify(reason ?? new Error("channel closed")));
    const settle = (error?: Error) => {
      channel.off("error", onError);
      channel.off("close", onClose);
      if (error) reject(error);
      else resolve();
    };
    channel.on("error", onError);
    channel.on("close", onClose);
    try {
      channel.publish(input.exchange, input.routingKey, input.body, {
        messageId: input.messageId,
        contentType: input.contentType ?? "application/json",
        persistent: input.persistent ?? true,
        headers: input.headers,
      }, (error) => {
        if (!error) return settle();
        // A closing channel fails its pending confirms too: let its error (the reason) arrive first.
        setImmediate(() => settle(reason ? classify(reason) : new TransientError("RabbitMQ did not confirm the message (nack).", { systemDown: true, cause: error })));
      });
    } catch (error) {
      settle(classify(error));
    }
  });
}

/** Closes every open connection (tests, shutdown). */
export async function closeRabbitPublishers(): Promise<void> {
  const all = [...links.values()];
  links.clear();
  await Promise.all(all.map(async (l) => (await l.catch(() => undefined))?.connection.close().catch(() => undefined)));
}
