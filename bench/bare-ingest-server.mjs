// The bare ingest baseline (`npm run bench`): the least a single-event endpoint can do on this
// machine. A plain node:http server that parses the JSON body, publishes it to JetStream with its
// id as Nats-Msg-Id, awaits the PubAck and answers 202 — no auth, no validation, no framework.
// The bench drives it with the same client and load as POST /api/events, so the app's figure can
// be read as a ratio of what the machine allows. Usage (bench/ingest.ts starts it):
//   node --import tsx bench/bare-ingest-server.mjs <port, 0: any free one> <nats-url> <prefix>
//
// It publishes with the app's own publisher (server/nats/acked-publish.ts, docs/decisions/0032), so
// it stays a floor rather than a handicapped rival: PubAcks on one wildcard inbox subscription,
// the publishes of one event-loop turn written together. tsx only loads that module; per request
// this server runs nothing but the lines below.
import http from "node:http";
import { connect, headers } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { publishAcked } from "../server/nats/acked-publish.ts";

const [port, natsUrl, prefix] = process.argv.slice(2);
const nc = await connect({ servers: natsUrl, name: `${prefix}-bare`, noAsyncTraces: true });
const jsm = await jetstreamManager(nc);
const stream = `${prefix}_bare`;
await jsm.streams.add({ name: stream, subjects: [`${prefix}.bare.>`], duplicate_window: 120_000_000_000 });

const encoder = new TextEncoder();
const publish = (subject, payload, msgID) => {
  const h = headers();
  h.set("Nats-Msg-Id", msgID);
  return publishAcked(nc, subject, encoder.encode(payload), h, 5_000);
};

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    try {
      const body = Buffer.concat(chunks);
      const parsed = JSON.parse(body.toString("utf8"));
      const events = Array.isArray(parsed) ? parsed : [parsed];
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
