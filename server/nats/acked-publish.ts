import { JetStreamApiError, type PubAck } from "@nats-io/jetstream";
import { createInbox, errors, RequestError, type Msg, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";

// JetStream publish with a PubAck, for ingest (docs/decisions/0032): what `js.publish` does — a
// message with a reply subject, the stream's PubAck (or error) answered there — without nats.js's
// per-request machinery. nats.js gives every request its own promise race, timer, random token and
// mux entry, and builds a "cancelled" Error (with its stack) each time a request *succeeds*; at
// tens of thousands of events per second that was the largest single item in the ingest profile.
// Here one wildcard subscription per connection receives every PubAck, the pending publishes sit
// in a Map keyed by a counter, and one timer sweeps those past their timeout. Publishes are handed
// to nats.js at the start of the next turn of the event loop (setImmediate), all of that turn's
// together: nats.js writes what it has queued once per microtask checkpoint, so concurrent
// single-event requests — each read in its own I/O callback — would otherwise cost a socket write
// to NATS each; this way they share one. Order is kept: publishes go out in the order they were asked for. Failures are the
// typed errors nats.js throws (server/nats/nats-errors.ts recognises them): NoRespondersError when
// no stream listens on the subject, TimeoutError, JetStreamApiError, and nc.publish's own
// InvalidArgumentError (e.g. max_payload).

interface Pending {
  subject: string;
  resolve: (ack: PubAck) => void;
  reject: (error: Error) => void;
  deadline: number;
}

interface Queued extends Omit<Pending, "deadline"> {
  payload: Uint8Array;
  headers: MsgHdrs;
  timeoutMs: number;
}

const SWEEP_MS = 250;
const decoder = new TextDecoder();

class AckedPublisher {
  private readonly pending = new Map<string, Pending>();
  private readonly inbox: string;
  private next = 0;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private queued: Queued[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly onBroken: () => void,
  ) {
    const prefix = (nc as NatsConnection & { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
    this.inbox = `${createInbox(prefix)}.`;
    nc.subscribe(`${this.inbox}*`, { callback: (error, msg) => (error ? this.failAll(error) : this.settle(msg)) });
  }

  publish(subject: string, payload: Uint8Array, headers: MsgHdrs, timeoutMs: number): Promise<PubAck> {
    return new Promise<PubAck>((resolve, reject) => {
      if (this.queued.length === 0) setImmediate(() => this.flush());
      this.queued.push({ subject, payload, headers, timeoutMs, resolve, reject });
    });
  }

  private flush() {
    const queued = this.queued;
    this.queued = [];
    for (const { subject, payload, headers, timeoutMs, resolve, reject } of queued) {
      const token = (this.next++).toString(36);
      try {
        this.nc.publish(subject, payload, { reply: this.inbox + token, headers });
      } catch (error) {
        reject(error as Error);
        continue;
      }
      this.pending.set(token, { subject, resolve, reject, deadline: Date.now() + timeoutMs });
    }
    if (this.pending.size > 0) this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS);
  }

  private settle(msg: Msg) {
    const token = msg.subject.slice(this.inbox.length);
    const entry = this.pending.get(token);
    if (!entry) return;
    this.pending.delete(token);
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      entry.reject(new RequestError(`no responders: '${entry.subject}'`, { cause: new errors.NoRespondersError(entry.subject) }));
      return;
    }
    try {
      const answer = JSON.parse(decoder.decode(msg.data)) as PubAck & { error?: ConstructorParameters<typeof JetStreamApiError>[0] };
      if (answer.error) {
        entry.reject(new JetStreamApiError(answer.error));
      } else if (!answer.stream) {
        entry.reject(new Error("invalid ack response"));
      } else {
        answer.duplicate = answer.duplicate === true;
        entry.resolve(answer);
      }
    } catch (error) {
      entry.reject(error as Error);
    }
  }

  private sweep() {
    const now = Date.now();
    for (const [token, entry] of this.pending) {
      if (entry.deadline <= now) {
        this.pending.delete(token);
        entry.reject(new errors.TimeoutError());
      }
    }
    if (this.pending.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** The inbox subscription ended: what waits fails, and the next publish gets a new publisher. */
  private failAll(error: Error) {
    this.onBroken();
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

const publishers = new WeakMap<NatsConnection, AckedPublisher>();

/**
 * Publishes `payload` to a JetStream stream's subject and resolves with its PubAck (rejects with
 * nats.js's typed errors). Set Nats-Msg-Id in `headers` for JetStream's duplicate window.
 */
export function publishAcked(nc: NatsConnection, subject: string, payload: Uint8Array, headers: MsgHdrs, timeoutMs: number): Promise<PubAck> {
  let publisher = publishers.get(nc);
  if (!publisher) {
    publisher = new AckedPublisher(nc, () => publishers.delete(nc));
    publishers.set(nc, publisher);
  }
  return publisher.publish(subject, payload, headers, timeoutMs);
}
