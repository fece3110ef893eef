import { it } from "vitest";
import { randomBytes, randomUUID } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { connectNats } from "@/server/nats/connection";
import { cloudEventSchema, builtInEventTypes } from "./event-types";
import { ingestEvents } from "./ingest";
it("bench", async () => {
  const nc = await connectNats("nats://127.0.0.1:4222", { name: "bench" });
  const layout = { prefix: `bench_${randomBytes(3).toString("hex")}`, partitions: 16, duplicateWindowMs: 120000 };
  const ev = (i: number) => ({ specversion: "1.0", id: randomUUID(), source: "b", type: "stock.changed", subject: `SKU-${i % 1000}`, data: { sku: `SKU-${i % 1000}`, quantity: i } });
  const evs = Array.from({ length: 20000 }, (_, i) => ev(i));
  let t = performance.now();
  for (const e of evs) { cloudEventSchema.safeParse(e); builtInEventTypes["stock.changed"].data.safeParse(e.data); }
  console.log("validate only", Math.round(20000 / ((performance.now() - t) / 1000)), "ev/s");
  await ingestEvents([ev(0)], { nats: async () => nc, layout });
  const js = jetstream(nc);
  t = performance.now();
  for (let b = 0; b < 20; b++) {
    await Promise.all(evs.slice(b * 1000, b * 1000 + 1000).map((e) => { const h = headers(); h.set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"); h.set("Syncline-Ordering-Key", e.subject); return js.publish(`${layout.prefix}.events.1.stock.changed`, JSON.stringify(e), { msgID: randomUUID(), headers: h }); }));
  }
  console.log("raw publish 1000", Math.round(20000 / ((performance.now() - t) / 1000)), "ev/s");
  t = performance.now();
  for (let b = 0; b < 20; b++) await ingestEvents(evs.slice(b * 1000, b * 1000 + 1000).map(e => ({...e, id: randomUUID()})), { nats: async () => nc, layout });
  console.log("ingest batched 1000", Math.round(20000 / ((performance.now() - t) / 1000)), "ev/s");
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(`${layout.prefix}_events`);
  await nc.close();
}, 120000);
