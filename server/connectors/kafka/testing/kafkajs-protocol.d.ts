// Types for the parts of kafkajs's protocol code the local Kafka wire server reuses (kafkajs ships
// types for its client API only). See kafka-wire-server.ts.

declare module "kafkajs/src/protocol/decoder.js" {
  interface Int64 { toString(): string }
  export default class Decoder {
    constructor(buffer: Buffer);
    offset: number;
    readInt8(): number;
    readInt16(): number;
    readInt32(): number;
    readInt64(): Int64;
    readString(): string | null;
    readBytes(): Buffer;
    readArray<T>(reader: (decoder: Decoder) => T): T[];
    canReadBytes(length: number): boolean;
  }
}

declare module "kafkajs/src/protocol/encoder.js" {
  export default class Encoder {
    readonly buffer: Buffer;
    writeInt8(value: number): this;
    writeInt16(value: number): this;
    writeInt32(value: number): this;
    writeInt64(value: bigint | number | string): this;
    writeString(value: string | null): this;
    writeBytes(value: Buffer | null): this;
    writeArray(array: (Encoder | number | string)[], type?: "int32" | "string" | "object"): this;
  }
}

declare module "kafkajs/src/protocol/recordBatch/crc32C/index.js" {
  export default function crc32C(buffer: Buffer): number;
}

declare module "kafkajs/src/protocol/recordBatch/v0/decoder.js" {
  import type Decoder from "kafkajs/src/protocol/decoder.js";
  interface DecodedRecord { offset: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | Buffer[] | undefined> }
  export default function decodeRecordBatch(decoder: Decoder): Promise<{ records: DecodedRecord[] }>;
}
