import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// A local stand-in for an outside system (a channel, a CRM) that behaves like a well-made one:
// it applies each Idempotency-Key once, and it can be told to fail (5xx at random, a poison
// payload answered 422) or to go offline (connection refused) and come back.

export interface Delivery {
  idempotencyKey: string;
  body: { sku: string; seq: number; [key: string]: unknown };
  at: number;
}

export class RecordingReceiver {
  /** Side effects, each applied once, in the order they were applied. */
  readonly effects: Delivery[] = [];
  readonly seenKeys = new Set<string>();
  /** Every request that reached the server, including refused and repeated ones. */
  requests = 0;
  failureRate = 0;
  /** Bodies for which this returns 422 (a permanent error). */
  poison: (body: Delivery["body"]) => boolean = () => false;
  /** Bodies whose request is left unanswered until `releaseStalled()` (a slow outside system). */
  stall: (body: Delivery["body"]) => boolean = () => false;
  /** Answers a request itself instead of the usual handling (return undefined for the usual). */
  respond: (body: Delivery["body"]) => { status: number; json: unknown } | undefined = () => undefined;
  /** Requests answered late because of `stall`, counted when they arrive. */
  stalled = 0;
  private release?: Promise<void>;
  private releaseNow?: () => void;
  private server?: Server;
  port = 0;
  private waiters: { predicate: () => boolean; resolve: () => void }[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0) {
    this.server = createServer((req, res) => void this.handle(req, res));
    // Long-lived keep-alive sockets would keep answering after "going offline".
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening: new connections are refused, as with a channel that is down. */
  async goOffline() {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async comeBack() {
    await this.start(this.port);
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Delivery["body"];
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      res.writeHead(400).end("invalid json");
      return;
    }
    const idempotencyKey = String(req.headers["idempotency-key"] ?? "");
    if (this.stall(body)) {
      this.release ??= new Promise<void>((resolve) => (this.releaseNow = resolve));
      const released = this.release;
      this.stalled++;
      this.notify();
      await released;
    }
    const answer = this.respond(body);
    if (answer) {
      res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.json));
      return;
    }
    if (this.poison(body)) {
      res.writeHead(422, { "content-type": "application/json" }).end(JSON.stringify({ error: `sku ${body.sku} is not sellable` }));
      return;
    }
    if (this.failureRate > 0 && this.random() < this.failureRate) {
      res.writeHead(503).end("try again");
      return;
    }
    if (idempotencyKey && this.seenKeys.has(idempotencyKey)) {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, replay: true }));
      return;
    }
    if (idempotencyKey) this.seenKeys.add(idempotencyKey);
    this.effects.push({ idempotencyKey, body, at: Date.now() });
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
    this.notify();
  }

  /** Answers the stalled requests (and stops stalling new ones). */
  releaseStalled() {
    this.stall = () => false;
    this.releaseNow?.();
  }

  private notify() {
    this.waiters = this.waiters.filter((w) => {
      if (!w.predicate()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `predicate` holds (checked after every applied effect and stalled request); rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs: number, what = "condition"): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { predicate, resolve: () => { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.effects.length} effects so far)`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Per SKU, the `seq` values in the order their effects were applied. */
  effectsByKey(): Map<string, number[]> {
    const byKey = new Map<string, number[]>();
    for (const effect of this.effects) {
      const list = byKey.get(effect.body.sku) ?? [];
      list.push(effect.body.seq);
      byKey.set(effect.body.sku, list);
    }
    return byKey;
  }

  async stop() {
    this.releaseStalled();
    await this.goOffline();
  }
}
