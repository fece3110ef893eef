import { randomBytes } from "node:crypto";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { controlSubject } from "./stream-layout";
import { listenForChanges, natsWorkerNotifier } from "./worker-notifier";

// The web app → worker control channel against the local NATS server: what one side publishes
// the other side understands.

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

describe("natsWorkerNotifier", () => {
  it("publishes one message per partition on the control subject", async () => {
    const prefix = `t${randomBytes(4).toString("hex")}`;
    const nc: NatsConnection = await connect({ servers: natsUrl });
    try {
      const sub = nc.subscribe(controlSubject({ prefix }, "dead-letters"), { max: 2, timeout: 5_000 });
      await nc.flush();
      const notify = natsWorkerNotifier({ connection: async () => nc, prefix });
      await notify([
        { topic: "dead-letters", partition: 3, deadLetterIds: ["a", "b"] },
        { topic: "dead-letters", partition: 9, deadLetterIds: ["c"] },
      ]);
      const received = [];
      for await (const msg of sub) received.push(msg.json());
      expect(received).toEqual([{ partition: 3, deadLetterIds: ["a", "b"] }, { partition: 9, deadLetterIds: ["c"] }]);
    } finally {
      await nc.close();
    }
  });

  it("reaches a listening worker: flow changes, and dead-letter changes by partition", async () => {
    const prefix = `t${randomBytes(4).toString("hex")}`;
    const nc: NatsConnection = await connect({ servers: natsUrl });
    try {
      const heard: string[] = [];
      let done!: () => void;
      const all = new Promise<void>((resolve) => (done = resolve));
      const subs = listenForChanges(nc, { prefix }, {
        flows: () => heard.push("flows"),
        deadLetters: (partition) => {
          heard.push(`dead-letters:${partition}`);
          if (heard.length === 3) done();
        },
      });
      await nc.flush();
      await natsWorkerNotifier({ connection: async () => nc, prefix })([
        { topic: "flows" },
        { topic: "dead-letters", partition: 4, deadLetterIds: ["x"] },
      ]);
      // A message without a readable partition concerns every partition.
      nc.publish(controlSubject({ prefix }, "dead-letters"), "not json");
      await all;
      expect(heard).toEqual(["flows", "dead-letters:4", "dead-letters:undefined"]);
      for (const sub of subs) sub.unsubscribe();
    } finally {
      await nc.close();
    }
  });

  it("does not fail when NATS is down or never answers", async () => {
    await expect(natsWorkerNotifier({ connection: () => Promise.reject(new Error("connection refused")), prefix: "x" })([{ topic: "flows" }])).resolves.toBeUndefined();
    await expect(natsWorkerNotifier({ connection: () => new Promise(() => {}), prefix: "x", timeoutMs: 200 })([{ topic: "flows" }])).resolves.toBeUndefined();
  });
});
