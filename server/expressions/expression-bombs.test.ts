import { afterEach, describe, expect, it } from "vitest";
import { partitionOf } from "@/server/runtime/stream-layout";
import { IngestValidationError } from "@/server/events/ingest";
import type { FlowDocument } from "@/server/flows/flow-document";
import { startRuntimeFixture, type RuntimeFixture } from "@/server/runtime/testing/runtime-fixture";
import { waitUntil } from "@/server/testing/wait-until";

// Expression bombs against a real worker process (real NATS, Postgres, HTTP receiver): each one
// dead-letters only its own event with a clear error, while another key on the same partition
// and keys on another partition keep being delivered. The regex bomb is harmless under RE2: it
// answers in linear time and its event is delivered.

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const PARTITIONS = 2;
const REGEX_SUBJECT = `${"a".repeat(28)}!`;

function bombFlow(receiverUrl: string): FlowDocument {
  return {
    schemaVersion: 1,
    name: "Bombs",
    nodes: [
      { id: "trigger", kind: "trigger:stock.changed", version: 1, config: {}, position: { x: 0, y: 0 } },
      {
        id: "shape", kind: "action:transform", version: 1, position: { x: 300, y: 0 },
        config: {
          fields: `event.data.sku = "PAD" ? {"n": $length($pad("x", 120000000))}
            : event.data.sku = "SPLIT" ? {"n": $count($split($pad("", 900000, "a,"), ","))}
            : event.data.sku = "REGEX" ? {"n": $contains(event.subject, /^(a|a)+$/)}
            : {"n": 1}`,
        },
      },
      {
        id: "deliver", kind: "action:http-request", version: 1, position: { x: 600, y: 0 },
        config: { method: "POST", url: `${receiverUrl}/stock`, body: '{"sku": event.subject, "seq": event.data.quantity}', timeoutMs: 2000, retry: { attempts: 3, initialBackoffMs: 20, maxBackoffMs: 100, jitter: 0.2 } },
      },
    ],
    edges: [
      { id: "e1", source: "trigger", target: "shape", sourceHandle: "out" },
      { id: "e2", source: "shape", target: "deliver", sourceHandle: "out" },
    ],
    settings: { orderingPolicy: "hold" },
  };
}

/** The first key named `<stem>-<n>` that hashes to `partition`. */
function keyOn(partition: number, stem: string): string {
  for (let n = 0; ; n++) if (partitionOf(`${stem}-${n}`, PARTITIONS) === partition) return `${stem}-${n}`;
}

describe("expression bombs in a real worker", () => {
  it("dead-letter their own event while other keys on the same and another partition keep running", async () => {
    fixture = await startRuntimeFixture({ partitions: PARTITIONS });
    const { receiver, database } = fixture;
    await fixture.deployFlow(bombFlow(receiver.url));
    const worker = await fixture.startWorkerProcess();

    const padKey = keyOn(0, "PADKEY");
    const splitKey = keyOn(1, "SPLITKEY");
    const samePartitionAsPad = keyOn(0, "HEALTHY");
    const samePartitionAsSplit = keyOn(1, "HEALTHY");
    const event = (id: string, subject: string, sku: string, quantity: number) => ({
      specversion: "1.0", id, source: "test/erp", type: "stock.changed", subject, data: { sku, quantity },
    });
    // Bombs first, so healthy events queue behind them on the same partitions.
    await fixture.publish([
      event("pad-1", padKey, "PAD", 1),
      event("split-1", splitKey, "SPLIT", 1),
      event("regex-1", REGEX_SUBJECT, "REGEX", 1),
      ...[1, 2, 3].flatMap((seq) => [event(`a-${seq}`, samePartitionAsPad, "OK", seq), event(`b-${seq}`, samePartitionAsSplit, "OK", seq)]),
    ]);

    await receiver.waitFor(() => receiver.effects.length >= 7, 60_000, "healthy keys and the regex key delivered").catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\nworker output:\n${worker.output().slice(0, 3000)}`);
    });
    expect(receiver.effectsByKey().get(samePartitionAsPad)).toEqual([1, 2, 3]);
    expect(receiver.effectsByKey().get(samePartitionAsSplit)).toEqual([1, 2, 3]);
    expect(receiver.effectsByKey().get(REGEX_SUBJECT)).toEqual([1]);

    await waitUntil(async () => (await database.prisma.deadLetter.count()) === 2, 30_000, "two dead letters");
    const pad = await database.prisma.deadLetter.findFirstOrThrow({ where: { orderingKey: padKey } });
    expect(pad).toMatchObject({ nodeId: "shape", status: "open" });
    expect(pad.error).toMatch(/\$pad would make a string of 120,000,000 characters; the limit is 1,000,000/);
    const split = await database.prisma.deadLetter.findFirstOrThrow({ where: { orderingKey: splitKey } });
    expect(split.error).toMatch(/\$split would make more than 100,000 pieces/);
    // Permanent errors: dead-lettered at the first attempt, not retried.
    expect(pad.attempts).toHaveLength(1);
    expect(receiver.effectsByKey().has(padKey)).toBe(false);
  }, 120_000);

  it("refuses a NUL-subject event at ingest; nothing reaches the stream", async () => {
    fixture = await startRuntimeFixture({ partitions: PARTITIONS });
    const error = await fixture
      .publish([{ specversion: "1.0", id: "nul-1", source: "erp", type: "stock.changed", subject: "SKU\u00001", data: { sku: "SKU-1", quantity: 1 } }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IngestValidationError);
    expect((error as IngestValidationError).issues).toEqual([{ path: "0.subject", message: "contains a NUL character (U+0000), which cannot be stored" }]);
  });
});
