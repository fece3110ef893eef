// The bare ingest baseline (`npm run bench`): the least a single-event endpoint can do on this
// machine. A plain node:http server that parses the JSON body, publishes it to JetStream with its
// id as Nats-Msg-Id, awaits the PubAck and answers 202 — no auth, no validation, no framework.
// The bench drives it with the same client and load as POST /api/events, so the app's figure can
// be read as a ratio of what the machine allows. Plain JS, run with plain node (no tsx), so its
// cost is only what it does. Usage: node bench/bare-ingest-server.mjs <port, 0: any free one> <nats-url> <prefix>
//
// It publishes the way the app does (docs/decisions/0032), so it stays a floor rather than a
// handicapped rival: PubAcks come back on one wildcard inbox subscription (not js.publish's
// per-message promise race, timer and Errors), and the publishes of one event-loop turn are
// handed to nats.js together (one socket write for concurrent requests).
import http from "node:http";
import { connect, createInbox, headers } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";

const [port, natsUrl, prefix] = process.argv.slice(2);
const nc = await connect({ servers: natsUrl, name: `${prefix}-bare`, noAsyncTraces: true });
const jsm = await jetstreamManager(nc);
const stream = `${prefix}_bare`;
await jsm.streams.add({ name: stream, subjects: [`${prefix}.bare.>`], duplicate_window: 120_000_000_000 });

const inbox = `${createInbox()}.`;
const pending = new Map();
let next = 0;
const decoder = new TextDecoder();
nc.subscribe(`${inbox}*`, {
  callback: (error, msg) => {
    if (error) return;
    const token = msg.subject.slice(inbox.length);
    const settle = pending.get(token);
    pending.delete(token);
    if (msg.data.length === 0) settle?.(new Error("no responders"));
    else settle?.(null, JSON.parse(decoder.decode(msg.data)));
  },
});
const publish = (subject, payload, msgID) =>
  new Promise((resolve, reject) => {
    const token = (next++).toString(36);
    pending.set(token, (error, ack) => (error || ack.error ? reject(error ?? new Error(ack.error.description)) : resolve(ack)));
    const h = headers();
    h.set("Nats-Msg-Id", msgID);
    nc.publish(subject, payload, { reply: inbox + token, headers: h });
  });

let waiting = [];
const nextTurn = () =>
  new Promise((resolve) => {
    if (waiting.length === 0)
      setImmediate(() => {
        const released = waiting;
        waiting = [];
        for (const resume of released) resume();
      });
    waiting.push(resolve);
  });

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    try {
      const body = Buffer.concat(chunks);
      const parsed = JSON.parse(body.toString("utf8"));
      const events = Array.isArray(parsed) ? parsed : [parsed];
      await nextTurn();
      const acks = await Promise.all(
        events.map((event) => publish(`${prefix}.bare.${String(event.subject).replace(/[^A-Za-z0-9_-]/g, "_")}`, JSON.stringify(event), event.id)),
      );
      const out = JSON.stringify({ results: events.map((e, i) => ({ id: e.id, status: acks[i].duplicate ? "duplicate" : "accepted" })) });
      res.writeHead(202, { "content-type": "application/json" }).end(out);
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(port), "127.0.0.1", () => console.log(`bare ingest listening on ${server.address().port}`));

process.on("SIGTERM", async () => {
  server.close();
  await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
  process.exit(0);
});
