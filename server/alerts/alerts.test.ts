import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/server/db/test-database";
import { InvalidInputError } from "@/server/domain-errors";
import { waitUntil } from "@/server/testing/wait-until";
import { deliverDueAlerts, MAX_ALERT_ATTEMPTS, sendTestAlert } from "./alert-delivery";
import { AlertSender } from "./alert-sender";
import { scanForAlerts, SCAN_SETTLE_MS } from "./alert-scan";
import { alertTarget, getAlertSettings, removeAlertSettings, saveAlertSettings } from "./alert-settings";

// Alert webhooks against a real Postgres and a local node:http receiver that verifies every
// delivery with the standardwebhooks library, as a receiver of ours would.

interface Received { id: string; verified: boolean; payload: { type: string; data: Record<string, unknown> } }

let database: TestDatabase;
let flowId: string;
const key = randomBytes(32);
const allowlist = ["127.0.0.1"];
let server: http.Server;
let url: string;
let secret: string;
const received: Received[] = [];
/** Status the receiver answers with (200 unless a test says otherwise). */
let answer = 200;
/** A slow receiver keeps a send in flight while the other worker looks for work. */
let answerAfterMs = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  flowId = (await database.prisma.flow.create({ data: { name: "Stock → shop", draft: {} } })).id;
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let verified = true;
      try {
        new Webhook(secret).verify(body, req.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      if (answer === 200) received.push({ id: String(req.headers["webhook-id"]), verified, payload: JSON.parse(body) });
      setTimeout(() => res.writeHead(answer).end(), answerAfterMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await database?.drop();
});

beforeEach(async () => {
  received.length = 0;
  answer = 200;
  answerAfterMs = 0;
  await removeAlertSettings(database.prisma);
  secret = (await saveAlertSettings(database.prisma, { url, minIntervalMinutes: 15 }, { key, allowlist })).secret!;
});

let sequence = 0n;
async function deadLetter(subject = `SKU-${randomUUID().slice(0, 6)}`, flow = flowId) {
  sequence += 1n;
  return database.prisma.deadLetter.create({
    data: {
      flowId: flow, flowVersion: 1, nodeId: "deliver", orderingKey: subject, eventId: `evt-${randomUUID()}`, eventType: "stock.changed",
      event: {}, error: "HTTP 422 from shop: not sellable", traceId: "0".repeat(32), runId: `run-${sequence}`, sequence, partition: 0,
    },
  });
}

/** A scan as it would run once the letters written just now have settled. */
const later = (ms = 0) => ({ now: new Date(Date.now() + SCAN_SETTLE_MS + 1_000 + ms) });
const deliver = () => deliverDueAlerts(database.prisma, "worker-a", { allowlist, key, retryBaseMs: 1 });

describe("alert settings", () => {
  it("shows the secret once, keeps it sealed, and refuses a URL outgoing calls would refuse", async () => {
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    const row = await database.prisma.alertSetting.findUniqueOrThrow({ where: { id: "default" } });
    expect(row.secretCiphertext).not.toContain(secret.slice(6));
    expect((await alertTarget(database.prisma, key))!.secret).toBe(secret);
    // Saving again changes the settings, not the secret, and does not show it again.
    expect(await saveAlertSettings(database.prisma, { url, minIntervalMinutes: 5, onChannelDown: false }, { key, allowlist })).toEqual({ secret: null });
    expect(await getAlertSettings(database.prisma)).toMatchObject({ url, minIntervalMinutes: 5, onDeadLetter: true, onChannelDown: false });

    const loopback = saveAlertSettings(database.prisma, { url }, { key, allowlist: [] });
    await expect(loopback).rejects.toBeInstanceOf(InvalidInputError);
    await expect(loopback).rejects.toMatchObject({ issues: [{ path: "url", message: expect.stringMatching(/loopback.*SYNCLINE_HTTP_ALLOWLIST/) }] });
    await expect(saveAlertSettings(database.prisma, { url: "ftp://example.com/x" }, { key, allowlist })).rejects.toMatchObject({ issues: [{ path: "url" }] });
    await expect(saveAlertSettings(database.prisma, { url, minIntervalMinutes: 0 }, { key, allowlist })).rejects.toMatchObject({ issues: [{ path: "minIntervalMinutes" }] });
  });

  it("sends a signed test alert and records it as the last delivery", async () => {
    expect(await sendTestAlert(database.prisma, { allowlist, key })).toEqual({ ok: true });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ verified: true, payload: { type: "alert.test" } });
    expect(await getAlertSettings(database.prisma)).toMatchObject({ lastDeliveryStatus: "delivered", lastDeliveryError: null });
  });
});

describe("alerts", () => {
  it("sends exactly one signed alert for a dead letter, with flow, key, node, error and links", async () => {
    const letter = await deadLetter("SKU-ONE");
    expect(await scanForAlerts(database.prisma, later())).toBe(1);
    expect(await deliver()).toBe(1);
    // Scanning again, even after the rate-limit window, finds nothing new.
    expect(await scanForAlerts(database.prisma, later(60 * 60_000))).toBe(0);
    expect(await deliver()).toBe(0);
    expect(received).toHaveLength(1);
    const [alert] = received;
    expect(alert!.verified).toBe(true);
    expect(alert!.payload).toMatchObject({
      type: "dead-letter.created",
      data: {
        flow: { id: flowId, name: "Stock → shop" }, key: "SKU-ONE", node: "deliver", error: "HTTP 422 from shop: not sellable", suppressed: 0,
        deadLetter: { id: letter.id, url: `/dead-letters/${letter.id}` }, run: { id: letter.runId, url: `/runs/${letter.runId}` },
      },
    });
    expect(await getAlertSettings(database.prisma)).toMatchObject({ lastDeliveryStatus: "delivered", pending: 0 });
  });

  it("sends one alert for 5 dead letters of a flow within the window, and the next one after it says how many were held back", async () => {
    for (let i = 0; i < 5; i++) await deadLetter();
    expect(await scanForAlerts(database.prisma, later())).toBe(1);
    await deliver();
    expect(received).toHaveLength(1);
    expect(received[0]!.payload.data.suppressed).toBe(0);

    await deadLetter("SKU-AFTER");
    expect(await scanForAlerts(database.prisma, later(16 * 60_000))).toBe(1);
    await deliver();
    expect(received).toHaveLength(2);
    expect(received[1]!.payload.data).toMatchObject({ key: "SKU-AFTER", suppressed: 4, summary: expect.stringContaining("and 4 more") });
  });

  it("sends an alert when a channel goes down", async () => {
    const channel = await database.prisma.channel.create({ data: { name: "Main shop", type: "webhook", downSince: new Date(), lastError: "connection refused" } });
    expect(await scanForAlerts(database.prisma, later())).toBe(1);
    await deliver();
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      verified: true,
      payload: { type: "channel.down", data: { channel: { id: channel.id, name: "Main shop" }, error: "connection refused" } },
    });
  });

  it("retries a failing URL with backoff, then records the alert and the settings as failed", async () => {
    answer = 503;
    await deadLetter();
    expect(await scanForAlerts(database.prisma, later())).toBe(1);
    const once = () => deliverDueAlerts(database.prisma, "worker-a", { allowlist, key, retryBaseMs: 1 }, 1);
    expect(await once()).toBe(1);
    const first = await database.prisma.alert.findFirstOrThrow();
    expect(first).toMatchObject({ status: "pending", attempts: 1, claimedBy: null, lastError: expect.stringMatching(/HTTP 503/) });
    expect(await getAlertSettings(database.prisma)).toMatchObject({ lastDeliveryStatus: "failed", lastDeliveryError: expect.stringMatching(/attempt 1 of 5; retrying/), pending: 1 });
    for (let i = 1; i < MAX_ALERT_ATTEMPTS; i++) {
      // Each retry becomes due after its backoff (1 ms, 2 ms, … here).
      await waitUntil(async () => (await once()) === 1, 5_000, `attempt ${i + 1}`);
    }
    const [alert] = await database.prisma.alert.findMany();
    expect(alert).toMatchObject({ status: "failed", attempts: MAX_ALERT_ATTEMPTS, lastError: expect.stringMatching(/HTTP 503/) });
    expect(await deliver()).toBe(0);
    expect(await getAlertSettings(database.prisma)).toMatchObject({ lastDeliveryStatus: "failed", lastDeliveryError: expect.stringMatching(/HTTP 503.*gave up after 5 attempts/) });
  });

  it("sends each alert once with two workers sending at the same time", async () => {
    const flows = await Promise.all([1, 2, 3, 4, 5, 6].map(async (i) => (await database.prisma.flow.create({ data: { name: `Flow ${i}`, draft: {} } })).id));
    answerAfterMs = 300;
    const senders = ["worker-a", "worker-b"].map((workerId) => new AlertSender({ db: database.prisma, workerId, allowlist, key, intervalMs: 5 }));
    senders.forEach((s) => s.start());
    try {
      for (const flow of flows) await deadLetter(undefined, flow);
      await waitUntil(async () => (await database.prisma.alert.count({ where: { status: "delivered" } })) === flows.length, 20_000, "every alert delivered");
      // Both keep scanning: a further letter of a flow is counted once (rate limit), not sent.
      await deadLetter(undefined, flows[0]);
      await waitUntil(async () => (await database.prisma.alertThrottle.findUnique({ where: { subject: `flow:${flows[0]}` } }))?.suppressed === 1, 20_000, "a later scan by either worker");
    } finally {
      await Promise.all(senders.map((s) => s.stop()));
    }
    expect(received).toHaveLength(flows.length);
    expect(new Set(received.map((r) => r.id)).size).toBe(flows.length);
    expect(received.map((r) => (r.payload.data.flow as { id: string }).id).sort()).toEqual([...flows].sort());
  });
});
