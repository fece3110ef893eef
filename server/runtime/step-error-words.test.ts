import { afterEach, describe, expect, it } from "vitest";
import { getDeadLetter, listDeadLetters } from "@/server/history/dead-letter-store";
import { getRunDetail } from "@/server/history/run-detail";
import { waitUntil } from "@/server/testing/wait-until";
import { startRuntimeFixture, stockToReceiverFlow, type RuntimeFixture } from "./testing/runtime-fixture";

// What run detail and the dead-letter inbox say when a step's settings fail their schema at run
// time (a version published under an older, looser schema): the form's words, not field keys
// (docs/decisions/0020). A real nats-server, Postgres and worker.

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

describe("step errors in the user's words", () => {
  it("a step whose settings fail validation at run time is recorded with the form label, in run detail and the dead letter", async () => {
    fixture = await startRuntimeFixture({ partitions: 1 });
    const prisma = fixture.database.prisma;
    const flowId = await fixture.deployFlow(stockToReceiverFlow(fixture.receiver.url, { attempts: 1 }));
    // The published version holds a timeout today's schema refuses (publish would not allow it now).
    const version = await prisma.flowVersion.findFirstOrThrow({ where: { flowId } });
    const document = version.document as { nodes: { id: string; config: Record<string, unknown> }[] };
    document.nodes.find((n) => n.id === "deliver")!.config.timeoutMs = 50;
    await prisma.flowVersion.update({ where: { id: version.id }, data: { document: document as object } });

    await fixture.startWorkerInProcess();
    await fixture.publish([{ specversion: "1.0", id: "words-1", type: "stock.changed", source: "/test", subject: "SKU-W1", data: { sku: "SKU-W1", quantity: 3 } }]);
    await waitUntil(async () => (await prisma.deadLetter.count()) === 1, 20_000, "the dead letter");

    const expected = "The step's settings are not valid: Timeout (ms) must be at least 100";
    const { deadLetters } = await listDeadLetters(prisma);
    expect(deadLetters[0]).toMatchObject({ nodeId: "deliver", error: expected });
    const letter = await getDeadLetter(prisma, deadLetters[0]!.id);
    expect(letter.runId).not.toBeNull();
    const run = await getRunDetail(prisma, letter.runId!);
    expect(run.steps.find((s) => s.nodeId === "deliver")).toMatchObject({ status: "failed", error: expected });
    expect(JSON.stringify(run.steps)).not.toContain("timeoutMs:");
    expect(fixture.receiver.requests).toBe(0);
  }, 60_000);
});
