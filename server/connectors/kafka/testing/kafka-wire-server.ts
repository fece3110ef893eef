import { randomUUID } from "node:crypto";
import net from "node:net";
import Decoder from "kafkajs/src/protocol/decoder.js";
import Encoder from "kafkajs/src/protocol/encoder.js";
import crc32C from "kafkajs/src/protocol/recordBatch/crc32C/index.js";
import decodeRecordBatch from "kafkajs/src/protocol/recordBatch/v0/decoder.js";

// A local single-node Kafka broker for tests: it speaks the Kafka wire protocol over TCP for
// exactly the API keys and versions below, which its ApiVersions answer advertises (a client picks
// the highest version both sides know). No Kafka broker is installable from the registries this
// machine reaches (docs/decisions/0025-kafka-source-and-target.md), so the Kafka client is tested
// against this. The primitives (Encoder/Decoder, CRC-32C, the record batch decoder) are kafkajs's
// own protocol code; the broker behaviour is written here:
//
// - Produced record batches are stored as sent, with the base offset written into their first
//   8 bytes (as the broker does; the CRC does not cover it), and Fetch answers with those bytes.
//   Batches whose CRC-32C does not match are refused (CORRUPT_MESSAGE), as are batches over
//   `maxBatchBytes` (MESSAGE_TOO_LARGE).
// - Idempotent producers: InitProducerId hands out ids; per partition and producer the broker
//   keeps the last sequence and answers a repeated batch with its original offset instead of
//   storing it again, and refuses a gap (OUT_OF_ORDER_SEQUENCE_NUMBER).
// - One group coordinator (this node) with the classic rebalance protocol: JoinGroup waits until
//   every known member has rejoined (or the session timeout passes), SyncGroup hands out the
//   leader's assignment, Heartbeat says REBALANCE_IN_PROGRESS while a rebalance runs, expired or
//   leaving members trigger one. OffsetCommit checks generation and member.
// - Requests on one connection are answered one at a time, in order, as the broker does; a Fetch
//   with nothing to return waits up to its max wait time for a produce.
// - Test handles: stop()/start() (an outage: every connection closed, the log and the committed
//   offsets kept, group members forgotten), killAtOffsetCommit(n) (the consumer dies as its commit
//   arrives: the commit is lost, its connection closed, its membership ended), dropProduceResponses(n) (the batch is stored
//   but the connection dies before the answer, so the producer retries it).

const API = {
  Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, OffsetCommit: 8, OffsetFetch: 9, FindCoordinator: 10,
  JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13, SyncGroup: 14, ApiVersions: 18, InitProducerId: 22,
} as const;

/** The versions this broker implements, [min, max]: the lowest kafkajs uses for each feature. */
const VERSIONS: Record<number, [number, number]> = {
  [API.Produce]: [3, 3], [API.Fetch]: [4, 4], [API.ListOffsets]: [1, 1], [API.Metadata]: [1, 1],
  [API.OffsetCommit]: [2, 2], [API.OffsetFetch]: [1, 1], [API.FindCoordinator]: [0, 0], [API.JoinGroup]: [0, 0],
  [API.Heartbeat]: [0, 0], [API.LeaveGroup]: [0, 0], [API.SyncGroup]: [0, 0], [API.ApiVersions]: [0, 2],
  [API.InitProducerId]: [0, 0],
};

const ERR = {
  NONE: 0, OFFSET_OUT_OF_RANGE: 1, CORRUPT_MESSAGE: 2, UNKNOWN_TOPIC_OR_PARTITION: 3, MESSAGE_TOO_LARGE: 10,
  ILLEGAL_GENERATION: 22, UNKNOWN_MEMBER_ID: 25, REBALANCE_IN_PROGRESS: 27, UNSUPPORTED_VERSION: 35,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45, INVALID_PRODUCER_EPOCH: 47,
} as const;

interface StoredBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  bytes: Buffer;
  /** How often a Fetch answer carried this batch (a redelivery shows as 2). */
  fetched: number;
}

interface ProducerState {
  epoch: number;
  lastSequence: number;
  /** Recent batches by base sequence, to answer a retried batch with its offset. */
  recent: Map<number, bigint>;
}

class PartitionLog {
  readonly batches: StoredBatch[] = [];
  nextOffset = 0n;
  readonly producers = new Map<string, ProducerState>();
}

interface Member {
  id: string;
  sessionTimeoutMs: number;
  seenAt: number;
  protocols: { name: string; metadata: Buffer }[];
  joining?: (error: number) => void;
  syncing?: (error: number, assignment: Buffer) => void;
}

type GroupState = "empty" | "preparing" | "completing" | "stable";

class Group {
  state: GroupState = "empty";
  generation = 0;
  leader = "";
  protocol = "";
  readonly members = new Map<string, Member>();
  assignments = new Map<string, Buffer>();
  readonly offsets = new Map<string, bigint>();
  rebalanceTimer?: NodeJS.Timeout;
}

export interface KafkaWireServerOptions {
  /** Topic → number of partitions. Other topics are unknown (no auto-creation). */
  topics: Record<string, number>;
  /** Largest record batch accepted (the broker's message.max.bytes); default 1 MiB. */
  maxBatchBytes?: number;
}

export interface StoredRecord {
  partition: number;
  offset: bigint;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export class KafkaWireServer {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly logs = new Map<string, PartitionLog[]>();
  private readonly groups = new Map<string, Group>();
  private readonly fetchWaiters = new Set<() => void>();
  private nextProducerId = 1000n;
  private expiryTimer?: NodeJS.Timeout;
  private commitsToDrop = 0;
  private produceAnswersToDrop = 0;
  port = 0;
  /** Requests received, by API key (tests check that a retry happened). */
  readonly requestCounts = new Map<number, number>();
  /** OffsetCommit requests this broker applied. */
  commitsApplied = 0;

  constructor(private readonly options: KafkaWireServerOptions) {
    for (const [topic, partitions] of Object.entries(options.topics)) {
      this.logs.set(topic, Array.from({ length: partitions }, () => new PartitionLog()));
    }
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  /** Listens (again: on the same port after a stop). */
  async start(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
    this.expiryTimer = setInterval(() => this.expireMembers(), 250);
    this.expiryTimer.unref();
  }

  /** An outage: stops listening and closes every connection; the log and committed offsets stay. */
  async stop(): Promise<void> {
    clearInterval(this.expiryTimer);
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    for (const wake of this.fetchWaiters) wake();
    for (const group of this.groups.values()) {
      clearTimeout(group.rebalanceTimer);
      group.members.clear();
      group.assignments.clear();
      group.state = "empty";
    }
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  close(): Promise<void> {
    return this.stop();
  }

  /**
   * The consumers of the next `count` OffsetCommit requests die as the commit arrives: the commit
   * is not applied, the connection closes and the member leaves the group.
   */
  killAtOffsetCommit(count = 1): void {
    this.commitsToDrop += count;
  }

  /** The next `count` produce batches are stored, but the connection dies before the answer. */
  dropProduceResponses(count = 1): void {
    this.produceAnswersToDrop += count;
  }

  highWatermark(topic: string, partition: number): bigint {
    return this.partition(topic, partition)?.nextOffset ?? 0n;
  }

  committedOffset(groupId: string, topic: string, partition: number): bigint | undefined {
    return this.groups.get(groupId)?.offsets.get(`${topic}/${partition}`);
  }

  /** How many Fetch answers carried the record at `offset` (a consumer that received it again: 2). */
  timesFetched(topic: string, partition: number, offset: bigint): number {
    return this.partition(topic, partition)?.batches.find((b) => b.baseOffset <= offset && offset <= b.lastOffset)?.fetched ?? 0;
  }

  memberCount(groupId: string): number {
    return this.groups.get(groupId)?.members.size ?? 0;
  }

  /** Every record stored in a topic, decoded with kafkajs's record batch decoder. */
  async records(topic: string): Promise<StoredRecord[]> {
    const out: StoredRecord[] = [];
    const logs = this.logs.get(topic) ?? [];
    for (const [partition, log] of logs.entries()) {
      for (const batch of log.batches) {
        const { records } = await decodeRecordBatch(new Decoder(batch.bytes));
        for (const r of records) {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(r.headers)) {
            if (value !== undefined) headers[name] = (Array.isArray(value) ? value[0]! : value).toString("utf8");
          }
          out.push({ partition, offset: BigInt(r.offset), key: r.key?.toString("utf8") ?? null, value: r.value?.toString("utf8") ?? null, headers });
        }
      }
    }
    return out;
  }

  private partition(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(topic)?.[partition];
  }

  private group(id: string): Group {
    let group = this.groups.get(id);
    if (!group) {
      group = new Group();
      this.groups.set(id, group);
    }
    return group;
  }

  // ── Connections and framing ──

  private accept(socket: net.Socket) {
    this.sockets.add(socket);
    let pending = Buffer.alloc(0);
    let chain = Promise.resolve();
    socket.on("error", () => undefined);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (pending.length < 4 + size) break;
        const frame = pending.subarray(4, 4 + size);
        pending = pending.subarray(4 + size);
        chain = chain.then(() => this.serve(socket, frame)).catch(() => { socket.destroy(); });
      }
    });
  }

  private async serve(socket: net.Socket, frame: Buffer): Promise<void> {
    if (socket.destroyed) return;
    const request = new Decoder(frame);
    const apiKey = request.readInt16();
    const version = request.readInt16();
    const correlationId = request.readInt32();
    request.readString(); // client id
    this.requestCounts.set(apiKey, (this.requestCounts.get(apiKey) ?? 0) + 1);
    const range = VERSIONS[apiKey];
    let body: Encoder | "drop";
    if (apiKey === API.ApiVersions) body = this.apiVersions(version);
    else if (!range || version < range[0] || version > range[1]) {
      // The broker closes the connection on an API or version it does not know.
      socket.destroy();
      return;
    } else body = await this.handle(apiKey, request);
    if (body === "drop") {
      socket.destroy();
      return;
    }
    const payload = body.buffer;
    const head = Buffer.alloc(8);
    head.writeInt32BE(payload.length + 4, 0);
    head.writeInt32BE(correlationId, 4);
    if (!socket.destroyed) socket.write(Buffer.concat([head, payload]));
  }

  private handle(apiKey: number, request: Decoder): Promise<Encoder | "drop"> | Encoder | "drop" {
    switch (apiKey) {
      case API.Metadata: return this.metadata(request);
      case API.FindCoordinator: return this.findCoordinator();
      case API.InitProducerId: return this.initProducerId();
      case API.Produce: return this.produce(request);
      case API.Fetch: return this.fetch(request);
      case API.ListOffsets: return this.listOffsets(request);
      case API.JoinGroup: return this.joinGroup(request);
      case API.SyncGroup: return this.syncGroup(request);
      case API.Heartbeat: return this.heartbeat(request);
      case API.LeaveGroup: return this.leaveGroup(request);
      case API.OffsetCommit: return this.offsetCommit(request);
      case API.OffsetFetch: return this.offsetFetch(request);
      default: return "drop";
    }
  }

  // ── Cluster ──

  private apiVersions(version: number): Encoder {
    const out = new Encoder();
    if (version > 2) return out.writeInt16(ERR.UNSUPPORTED_VERSION).writeArray([]);
    out.writeInt16(ERR.NONE).writeArray(Object.entries(VERSIONS).map(([key, [min, max]]) => new Encoder().writeInt16(Number(key)).writeInt16(min).writeInt16(max)));
    if (version >= 1) out.writeInt32(0);
    return out;
  }

  private metadata(request: Decoder): Encoder {
    // v1: a null topic array asks for every topic, an empty one for none.
    const count = request.readInt32();
    const topics = count < 0 ? [...this.logs.keys()] : Array.from({ length: count }, () => request.readString() ?? "");
    return new Encoder()
      .writeArray([new Encoder().writeInt32(0).writeString("127.0.0.1").writeInt32(this.port).writeString(null)])
      .writeInt32(0) // controller id
      .writeArray(topics.map((topic) => {
        const logs = this.logs.get(topic);
        return new Encoder()
          .writeInt16(logs ? ERR.NONE : ERR.UNKNOWN_TOPIC_OR_PARTITION)
          .writeString(topic)
          .writeInt8(0) // is internal
          .writeArray((logs ?? []).map((_, partition) => new Encoder()
            .writeInt16(ERR.NONE).writeInt32(partition).writeInt32(0).writeArray([0], "int32").writeArray([0], "int32")));
      }));
  }

  private findCoordinator(): Encoder {
    return new Encoder().writeInt16(ERR.NONE).writeInt32(0).writeString("127.0.0.1").writeInt32(this.port);
  }

  // ── Producing ──

  private initProducerId(): Encoder {
    const id = this.nextProducerId++;
    return new Encoder().writeInt32(0).writeInt16(ERR.NONE).writeInt64(id).writeInt16(0);
  }

  private produce(request: Decoder): Encoder | "drop" {
    request.readString(); // transactional id
    request.readInt16(); // acks
    request.readInt32(); // timeout
    let drop = false;
    const topics = request.readArray((t) => {
      const topic = t.readString() ?? "";
      const partitions = t.readArray((p) => {
        const partition = p.readInt32();
        const records = p.readBytes();
        const outcome = this.append(topic, partition, records);
        if (outcome.error === ERR.NONE && outcome.stored && this.produceAnswersToDrop > 0) {
          this.produceAnswersToDrop--;
          drop = true;
        }
        return new Encoder().writeInt32(partition).writeInt16(outcome.error).writeInt64(outcome.baseOffset).writeInt64(-1);
      });
      return new Encoder().writeString(topic).writeArray(partitions);
    });
    if (drop) return "drop";
    for (const wake of this.fetchWaiters) wake();
    return new Encoder().writeArray(topics).writeInt32(0);
  }

  /** Appends the record batches of one partition's record set (normally one batch). */
  private append(topic: string, partition: number, records: Buffer): { error: number; baseOffset: bigint; stored: boolean } {
    const log = this.partition(topic, partition);
    if (!log) return { error: ERR.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1n, stored: false };
    if (records.length > (this.options.maxBatchBytes ?? 1_048_576)) return { error: ERR.MESSAGE_TOO_LARGE, baseOffset: -1n, stored: false };
    let at = 0;
    let first = -1n;
    let stored = false;
    while (at + 61 <= records.length) {
      const length = records.readInt32BE(at + 8);
      const bytes = Buffer.from(records.subarray(at, at + 12 + length));
      at += 12 + length;
      if (bytes.length < 61 || bytes.readInt8(16) !== 2) return { error: ERR.CORRUPT_MESSAGE, baseOffset: -1n, stored };
      if (crc32C(bytes.subarray(21)) !== bytes.readUInt32BE(17)) return { error: ERR.CORRUPT_MESSAGE, baseOffset: -1n, stored };
      const lastOffsetDelta = bytes.readInt32BE(23);
      const producerId = bytes.readBigInt64BE(43);
      const epoch = bytes.readInt16BE(51);
      const baseSequence = bytes.readInt32BE(53);
      if (producerId >= 0n) {
        const key = producerId.toString();
        const state = log.producers.get(key);
        if (state && epoch < state.epoch) return { error: ERR.INVALID_PRODUCER_EPOCH, baseOffset: -1n, stored };
        if (state && epoch === state.epoch && baseSequence <= state.lastSequence) {
          const original = state.recent.get(baseSequence);
          if (original === undefined) return { error: ERR.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1n, stored };
          if (first < 0n) first = original; // a retried batch: answered with its offset, not stored again
          continue;
        }
        const expected = state && epoch === state.epoch ? state.lastSequence + 1 : 0;
        if (baseSequence !== expected) return { error: ERR.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1n, stored };
        const next: ProducerState = state && epoch === state.epoch ? state : { epoch, lastSequence: -1, recent: new Map() };
        next.lastSequence = baseSequence + lastOffsetDelta;
        next.recent.set(baseSequence, log.nextOffset);
        if (next.recent.size > 5) next.recent.delete(next.recent.keys().next().value!);
        log.producers.set(key, next);
      }
      bytes.writeBigInt64BE(log.nextOffset, 0);
      log.batches.push({ baseOffset: log.nextOffset, lastOffset: log.nextOffset + BigInt(lastOffsetDelta), bytes, fetched: 0 });
      if (first < 0n) first = log.nextOffset;
      log.nextOffset += BigInt(lastOffsetDelta) + 1n;
      stored = true;
    }
    return { error: ERR.NONE, baseOffset: first, stored };
  }

  // ── Consuming ──

  private async fetch(request: Decoder): Promise<Encoder> {
    request.readInt32(); // replica id
    const maxWaitMs = request.readInt32();
    request.readInt32(); // min bytes
    request.readInt32(); // max bytes
    request.readInt8(); // isolation level
    const wanted = request.readArray((t) => ({
      topic: t.readString() ?? "",
      partitions: t.readArray((p) => ({ partition: p.readInt32(), offset: BigInt(p.readInt64().toString()), maxBytes: p.readInt32() })),
    }));
    const hasData = () => wanted.some(({ topic, partitions }) =>
      partitions.some(({ partition, offset }) => { const log = this.partition(topic, partition); return log !== undefined && offset < log.nextOffset; }));
    if (!hasData() && maxWaitMs > 0 && this.server) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.fetchWaiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, maxWaitMs);
        this.fetchWaiters.add(wake);
      });
    }
    return new Encoder().writeInt32(0).writeArray(wanted.map(({ topic, partitions }) => new Encoder()
      .writeString(topic)
      .writeArray(partitions.map(({ partition, offset, maxBytes }) => {
        const log = this.partition(topic, partition);
        const out = new Encoder().writeInt32(partition);
        if (!log) return out.writeInt16(ERR.UNKNOWN_TOPIC_OR_PARTITION).writeInt64(-1).writeInt64(-1).writeArray([]).writeBytes(Buffer.alloc(0));
        if (offset < 0n || offset > log.nextOffset) {
          return out.writeInt16(ERR.OFFSET_OUT_OF_RANGE).writeInt64(log.nextOffset).writeInt64(log.nextOffset).writeArray([]).writeBytes(Buffer.alloc(0));
        }
        const chosen: Buffer[] = [];
        let size = 0;
        for (const batch of log.batches) {
          if (batch.lastOffset < offset) continue;
          // Always at least one batch, like the broker, so a batch larger than maxBytes still comes.
          if (chosen.length > 0 && size + batch.bytes.length > maxBytes) break;
          chosen.push(batch.bytes);
          batch.fetched++;
          size += batch.bytes.length;
        }
        return out.writeInt16(ERR.NONE).writeInt64(log.nextOffset).writeInt64(log.nextOffset).writeArray([]).writeBytes(Buffer.concat(chosen));
      }))));
  }

  private listOffsets(request: Decoder): Encoder {
    request.readInt32(); // replica id
    const wanted = request.readArray((t) => ({
      topic: t.readString() ?? "",
      partitions: t.readArray((p) => ({ partition: p.readInt32(), timestamp: BigInt(p.readInt64().toString()) })),
    }));
    return new Encoder().writeArray(wanted.map(({ topic, partitions }) => new Encoder()
      .writeString(topic)
      .writeArray(partitions.map(({ partition, timestamp }) => {
        const log = this.partition(topic, partition);
        const out = new Encoder().writeInt32(partition);
        if (!log) return out.writeInt16(ERR.UNKNOWN_TOPIC_OR_PARTITION).writeInt64(-1).writeInt64(-1);
        // -1: the latest offset (the high watermark); -2 (and any time): the earliest, 0 (nothing is deleted).
        return out.writeInt16(ERR.NONE).writeInt64(-1).writeInt64(timestamp === -1n ? log.nextOffset : 0n);
      }))));
  }

  // ── Group membership ──

  private startRebalance(group: Group) {
    if (group.state === "preparing") return;
    group.state = "preparing";
    group.assignments.clear();
    for (const member of group.members.values()) {
      member.syncing?.(ERR.REBALANCE_IN_PROGRESS, Buffer.alloc(0));
      member.syncing = undefined;
    }
    const timeout = Math.max(1_000, ...[...group.members.values()].map((m) => m.sessionTimeoutMs));
    clearTimeout(group.rebalanceTimer);
    group.rebalanceTimer = setTimeout(() => {
      for (const [id, member] of group.members) if (!member.joining) group.members.delete(id);
      this.completeJoin(group);
    }, timeout);
    group.rebalanceTimer.unref();
  }

  private completeJoin(group: Group) {
    if (group.state !== "preparing") return;
    const members = [...group.members.values()];
    if (members.some((m) => !m.joining)) return;
    clearTimeout(group.rebalanceTimer);
    group.generation++;
    if (members.length === 0) {
      group.state = "empty";
      return;
    }
    if (!group.members.has(group.leader)) group.leader = members[0]!.id;
    group.protocol = group.members.get(group.leader)!.protocols[0]?.name ?? "";
    group.state = "completing";
    for (const member of members) {
      const answer = member.joining!;
      member.joining = undefined;
      answer(ERR.NONE);
    }
  }

  private joinGroup(request: Decoder): Promise<Encoder> {
    const groupId = request.readString() ?? "";
    const sessionTimeoutMs = request.readInt32();
    const askedId = request.readString() ?? "";
    request.readString(); // protocol type
    const protocols = request.readArray((d) => ({ name: d.readString() ?? "", metadata: d.readBytes() }));
    const group = this.group(groupId);
    const fail = (error: number) => Promise.resolve(new Encoder().writeInt16(error).writeInt32(-1).writeString("").writeString("").writeString(askedId).writeArray([]));
    if (askedId !== "" && !group.members.has(askedId)) return fail(ERR.UNKNOWN_MEMBER_ID);
    const id = askedId || `member-${randomUUID()}`;
    const member: Member = group.members.get(id) ?? { id, sessionTimeoutMs, seenAt: Date.now(), protocols };
    member.sessionTimeoutMs = sessionTimeoutMs;
    member.protocols = protocols;
    member.seenAt = Date.now();
    group.members.set(id, member);
    return new Promise<Encoder>((resolve) => {
      member.joining = (error) => {
        if (error !== ERR.NONE) return resolve(new Encoder().writeInt16(error).writeInt32(-1).writeString("").writeString("").writeString(id).writeArray([]));
        const isLeader = group.leader === id;
        const members = isLeader ? [...group.members.values()].map((m) => new Encoder().writeString(m.id).writeBytes(m.protocols.find((p) => p.name === group.protocol)?.metadata ?? Buffer.alloc(0))) : [];
        resolve(new Encoder().writeInt16(ERR.NONE).writeInt32(group.generation).writeString(group.protocol).writeString(group.leader).writeString(id).writeArray(members));
      };
      this.startRebalance(group);
      this.completeJoin(group);
    });
  }

  private syncGroup(request: Decoder): Promise<Encoder> {
    const groupId = request.readString() ?? "";
    const generation = request.readInt32();
    const memberId = request.readString() ?? "";
    const assignments = request.readArray((d) => ({ memberId: d.readString() ?? "", assignment: d.readBytes() }));
    const group = this.group(groupId);
    const answer = (error: number, assignment: Buffer = Buffer.alloc(0)) => new Encoder().writeInt16(error).writeBytes(assignment);
    const member = group.members.get(memberId);
    if (!member) return Promise.resolve(answer(ERR.UNKNOWN_MEMBER_ID));
    if (generation !== group.generation) return Promise.resolve(answer(ERR.ILLEGAL_GENERATION));
    if (group.state === "preparing") return Promise.resolve(answer(ERR.REBALANCE_IN_PROGRESS));
    member.seenAt = Date.now();
    if (group.state === "stable") return Promise.resolve(answer(ERR.NONE, group.assignments.get(memberId)));
    return new Promise<Encoder>((resolve) => {
      member.syncing = (error, assignment) => resolve(answer(error, assignment));
      if (memberId === group.leader) {
        group.assignments = new Map(assignments.map((a) => [a.memberId, a.assignment]));
        group.state = "stable";
        for (const m of group.members.values()) {
          m.syncing?.(ERR.NONE, group.assignments.get(m.id) ?? Buffer.alloc(0));
          m.syncing = undefined;
        }
      }
    });
  }

  private memberError(group: Group, memberId: string, generation: number): number {
    const member = group.members.get(memberId);
    if (!member) return ERR.UNKNOWN_MEMBER_ID;
    member.seenAt = Date.now();
    if (group.state === "preparing") return ERR.REBALANCE_IN_PROGRESS;
    if (generation !== group.generation) return ERR.ILLEGAL_GENERATION;
    return ERR.NONE;
  }

  private heartbeat(request: Decoder): Encoder {
    const group = this.group(request.readString() ?? "");
    const generation = request.readInt32();
    return new Encoder().writeInt16(this.memberError(group, request.readString() ?? "", generation));
  }

  private leaveGroup(request: Decoder): Encoder {
    const group = this.group(request.readString() ?? "");
    const memberId = request.readString() ?? "";
    if (!group.members.delete(memberId)) return new Encoder().writeInt16(ERR.UNKNOWN_MEMBER_ID);
    if (group.leader === memberId) group.leader = "";
    this.startRebalance(group);
    this.completeJoin(group);
    return new Encoder().writeInt16(ERR.NONE);
  }

  private expireMembers() {
    const now = Date.now();
    for (const group of this.groups.values()) {
      let expired = false;
      for (const [id, member] of group.members) {
        if (!member.joining && now - member.seenAt > member.sessionTimeoutMs) {
          group.members.delete(id);
          expired = true;
        }
      }
      if (expired) {
        this.startRebalance(group);
        this.completeJoin(group);
      }
    }
  }

  private offsetCommit(request: Decoder): Encoder | "drop" {
    const group = this.group(request.readString() ?? "");
    const generation = request.readInt32();
    const memberId = request.readString() ?? "";
    request.readInt64(); // retention time
    const topics = request.readArray((t) => ({
      topic: t.readString() ?? "",
      partitions: t.readArray((p) => {
        const partition = p.readInt32();
        const offset = BigInt(p.readInt64().toString());
        p.readString(); // metadata
        return { partition, offset };
      }),
    }));
    if (this.commitsToDrop > 0) {
      // The consumer died as its commit arrived: the commit is lost, its connection closes and
      // (as when its session runs out) it leaves the group, whose partitions go round again.
      this.commitsToDrop--;
      if (group.members.delete(memberId)) {
        if (group.leader === memberId) group.leader = "";
        this.startRebalance(group);
        this.completeJoin(group);
      }
      return "drop";
    }
    // generation -1 and no member: a commit outside group management, always accepted.
    const error = generation === -1 && memberId === "" ? ERR.NONE : this.memberError(group, memberId, generation);
    if (error === ERR.NONE) {
      this.commitsApplied++;
      for (const { topic, partitions } of topics) for (const { partition, offset } of partitions) group.offsets.set(`${topic}/${partition}`, offset);
    }
    return new Encoder().writeArray(topics.map(({ topic, partitions }) => new Encoder()
      .writeString(topic)
      .writeArray(partitions.map(({ partition }) => new Encoder().writeInt32(partition).writeInt16(this.partition(topic, partition) ? error : ERR.UNKNOWN_TOPIC_OR_PARTITION)))));
  }

  private offsetFetch(request: Decoder): Encoder {
    const group = this.group(request.readString() ?? "");
    const topics = request.readArray((t) => ({ topic: t.readString() ?? "", partitions: t.readArray((p) => p.readInt32()) }));
    return new Encoder().writeArray(topics.map(({ topic, partitions }) => new Encoder()
      .writeString(topic)
      .writeArray(partitions.map((partition) => new Encoder()
        .writeInt32(partition)
        .writeInt64(group.offsets.get(`${topic}/${partition}`) ?? -1n)
        .writeString("")
        .writeInt16(ERR.NONE)))));
  }
}
