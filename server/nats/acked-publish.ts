import { JetStreamApiError, type PubAck } from "@nats-io/jetstream";
import {
  canonicalMIMEHeaderKey,
  createInbox,
  errors,
  MsgHdrsImpl,
  RequestError,
  type Match,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
} from "@nats-io/transport-node";

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

/** Who waits for a publish's answer: one publish, or one slot of a batch (publishAckedAll). */
interface Waiter {
  resolve(index: number, ack: PubAck): void;
  reject(index: number, error: Error): void;
}

/** One publish, from publish() until its PubAck: queued for the next loop turn, then pending. */
interface Entry {
  subject: string;
  /** Let go once handed to nats.js: a message's bytes need not outlive the write while it waits. */
  payload: Uint8Array;
  headers: MsgHdrs | undefined;
  timeoutMs: number;
  waiter: Waiter;
  index: number;
  deadline: number;
}

/** What publishAckedAll publishes per message. */
export interface AckedMessage {
  subject: string;
  payload: Uint8Array;
  headers: MsgHdrs;
}

const SWEEP_MS = 250;
const SENT = new Uint8Array(0);
const decoder = new TextDecoder();

class AckedPublisher {
  private readonly pending = new Map<string, Entry>();
  private readonly inbox: string;
  private next = 0;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private queued: Entry[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly onBroken: () => void,
  ) {
    const prefix = (nc as NatsConnection & { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
    this.inbox = `${createInbox(prefix)}.`;
    nc.subscribe(`${this.inbox}*`, { callback: (error, msg) => (error ? this.failAll(error) : this.settle(msg)) });
  }

  enqueue(subject: string, payload: Uint8Array, headers: MsgHdrs, timeoutMs: number, waiter: Waiter, index: number) {
    if (this.queued.length === 0) setImmediate(() => this.flush());
    this.queued.push({ subject, payload, headers, timeoutMs, waiter, index, deadline: 0 });
  }

  private flush() {
    const queued = this.queued;
    this.queued = [];
    const now = Date.now();
    for (const entry of queued) {
      const token = (this.next++).toString(36);
      try {
        this.nc.publish(entry.subject, entry.payload, { reply: this.inbox + token, headers: entry.headers });
      } catch (error) {
        entry.waiter.reject(entry.index, error as Error);
        continue;
      }
      entry.payload = SENT;
      entry.headers = undefined;
      entry.deadline = now + entry.timeoutMs;
      this.pending.set(token, entry);
    }
    if (this.pending.size > 0) this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS);
  }

  private settle(msg: Msg) {
    const token = msg.subject.slice(this.inbox.length);
    const entry = this.pending.get(token);
    if (!entry) return;
    this.pending.delete(token);
    const { waiter, index } = entry;
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      waiter.reject(index, new RequestError(`no responders: '${entry.subject}'`, { cause: new errors.NoRespondersError(entry.subject) }));
      return;
    }
    try {
      const answer = JSON.parse(decoder.decode(msg.data)) as PubAck & { error?: ConstructorParameters<typeof JetStreamApiError>[0] };
      if (answer.error) {
        waiter.reject(index, new JetStreamApiError(answer.error));
      } else if (!answer.stream) {
        waiter.reject(index, new Error("invalid ack response"));
      } else {
        answer.duplicate = answer.duplicate === true;
        waiter.resolve(index, answer);
      }
    } catch (error) {
      waiter.reject(index, error as Error);
    }
  }

  private sweep() {
    const now = Date.now();
    for (const [token, entry] of this.pending) {
      if (entry.deadline <= now) {
        this.pending.delete(token);
        entry.waiter.reject(entry.index, new errors.TimeoutError());
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
    for (const entry of this.pending.values()) entry.waiter.reject(entry.index, error);
    this.pending.clear();
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

const publishers = new WeakMap<NatsConnection, AckedPublisher>();

function publisherOf(nc: NatsConnection): AckedPublisher {
  let publisher = publishers.get(nc);
  if (!publisher) {
    publisher = new AckedPublisher(nc, () => publishers.delete(nc));
    publishers.set(nc, publisher);
  }
  return publisher;
}

/**
 * Publishes `payload` to a JetStream stream's subject and resolves with its PubAck (rejects with
 * nats.js's typed errors). Set Nats-Msg-Id in `headers` for JetStream's duplicate window.
 */
export function publishAcked(nc: NatsConnection, subject: string, payload: Uint8Array, headers: MsgHdrs, timeoutMs: number): Promise<PubAck> {
  return new Promise<PubAck>((resolve, reject) => {
    publisherOf(nc).enqueue(subject, payload, headers, timeoutMs, { resolve: (_, ack) => resolve(ack), reject: (_, error) => reject(error) }, 0);
  });
}

/**
 * Publishes every message, in order, like publishAcked each, and resolves once all are answered:
 * with each one's PubAck, or the error it was refused with (the same typed errors). One promise
 * for a whole batch instead of one per message (docs/decisions/0036).
 */
export function publishAckedAll(nc: NatsConnection, messages: readonly AckedMessage[], timeoutMs: number): Promise<(PubAck | Error)[]> {
  return new Promise((resolve) => {
    const outcomes: (PubAck | Error)[] = new Array(messages.length);
    let left = messages.length;
    if (left === 0) return resolve(outcomes);
    const answered = (index: number, outcome: PubAck | Error) => {
      outcomes[index] = outcome;
      if (--left === 0) resolve(outcomes);
    };
    const waiter: Waiter = { resolve: answered, reject: answered };
    const publisher = publisherOf(nc);
    for (let index = 0; index < messages.length; index++) {
      const message = messages[index]!;
      publisher.enqueue(message.subject, message.payload, message.headers, timeoutMs, waiter, index);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Headers

const encoder = new TextEncoder();

/**
 * A message's headers in the form nats.js writes them (`MsgHdrs.encode()`: `NATS/1.0`, then
 * `Name: value` lines). Reading or changing them goes through nats.js's own MsgHdrs, parsed from
 * that form; publishing (which only encodes) never builds one.
 */
class WrittenHeaders implements MsgHdrs {
  private parsed: MsgHdrsImpl | undefined;
  constructor(private readonly text: string) {}
  private get headers(): MsgHdrs {
    return (this.parsed ??= MsgHdrsImpl.decode(encoder.encode(this.text)));
  }
  /** What nats.js's publish calls (MsgHdrsImpl.encode; it is not part of the MsgHdrs interface). */
  encode(): Uint8Array {
    return this.parsed ? this.parsed.encode() : encoder.encode(this.text);
  }
  get hasError() {
    return this.headers.hasError;
  }
  get status() {
    return this.headers.status;
  }
  get code() {
    return this.headers.code;
  }
  get description() {
    return this.headers.description;
  }
  get(k: string, match?: Match) {
    return this.headers.get(k, match);
  }
  set(k: string, v: string, match?: Match) {
    this.headers.set(k, v, match);
  }
  append(k: string, v: string, match?: Match) {
    this.headers.append(k, v, match);
  }
  has(k: string, match?: Match) {
    return this.headers.has(k, match);
  }
  keys() {
    return this.headers.keys();
  }
  values(k: string, match?: Match) {
    return this.headers.values(k, match);
  }
  delete(k: string, match?: Match) {
    this.headers.delete(k, match);
  }
  last(k: string, match?: Match) {
    return this.headers.last(k, match);
  }
  [Symbol.iterator]() {
    return this.headers[Symbol.iterator]();
  }
}

/**
 * Headers for many messages with the same header names (ingest: five per event;
 * docs/decisions/0036): `layout(values)` is one message's headers, written byte for byte as a
 * `headers()` with `set(names[i], values[i])` each would be, without the Map, arrays and lookups
 * nats.js builds for every message (a third of what ingest allocated). The names are checked once
 * by nats.js's canonicalMIMEHeaderKey, the values like MsgHdrs.set checks them (no CR or LF; trimmed).
 */
export function headerLayout(names: readonly string[]): (values: readonly string[]) => MsgHdrs {
  for (const name of names) canonicalMIMEHeaderKey(name);
  if (new Set(names).size !== names.length) throw new Error("headerLayout: a header name appears twice");
  const prefixes = names.map((name) => `\r\n${name}: `);
  return (values) => {
    if (values.length !== names.length) throw new Error(`headerLayout: ${names.length} values expected, got ${values.length}`);
    let text = "NATS/1.0";
    for (let i = 0; i < values.length; i++) text += prefixes[i]! + MsgHdrsImpl.validHeaderValue(values[i]!);
    return new WrittenHeaders(`${text}\r\n\r\n`);
  };
}
