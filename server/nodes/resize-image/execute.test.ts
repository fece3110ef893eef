import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { createAssetRoute } from "@/server/assets/asset-route";
import { assetBucketName, openAssetStore } from "@/server/assets/asset-store";
import { builtInEventTypes } from "@/server/events/event-types";
import { connectNats } from "@/server/nats/connection";
import { startNatsServer, type NatsServerProcess } from "@/server/nats/nats-server-process";
import type { ExecutionContext } from "../define-executor";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { resizeImageNode } from "./definition";
import { createResizeImageExecutor, resizeImageExecutor } from "./execute";
import { executionContext } from "../testing/execution-context";

// A real nats-server (own port, temporary store) and a real image host on 127.0.0.1 serving
// images made with sharp. Everything is deleted afterwards.

let natsServer: NatsServerProcess;
let nc: NatsConnection;
let storeDir: string;
let imageHost: Server;
let base: string;
const prefix = `t_resize_${randomBytes(4).toString("hex")}`;

let jpeg: Buffer; // 1200 × 800
let png: Buffer; // 640 × 480 with transparency
let requests = 0;

const LOOPBACK = ["127.0.0.1"];
const route = () => createAssetRoute({ nats: async () => nc, prefix: () => prefix });

beforeAll(async () => {
  jpeg = await sharp({ create: { width: 1200, height: 800, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .composite([{ input: Buffer.from('<svg width="400" height="400"><circle cx="200" cy="200" r="180" fill="#2040c0"/></svg>'), left: 400, top: 200 }])
    .jpeg({ quality: 90 })
    .toBuffer();
  png = await sharp({ create: { width: 640, height: 480, channels: 4, background: { r: 10, g: 160, b: 60, alpha: 0.5 } } })
    .png()
    .toBuffer();

  storeDir = mkdtempSync(path.join(os.tmpdir(), "syncline-resize-nats-"));
  natsServer = await startNatsServer({ storeDir });
  nc = await connectNats(natsServer.url, { name: "resize-image-test" });

  imageHost = createServer((request, response) => {
    requests++;
    const send = (status: number, type: string, body: Buffer | string) => {
      response.writeHead(status, { "content-type": type });
      response.end(body);
    };
    switch (request.url) {
      case "/photo.jpg":
        return send(200, "image/jpeg", jpeg);
      case "/mislabelled.bin": // a real PNG sent as octet-stream: the bytes decide
        return send(200, "application/octet-stream", png);
      case "/logo.png":
        return send(200, "image/png", png);
      case "/fake.jpg":
        return send(200, "image/jpeg", "<!DOCTYPE html><html><body>Not found</body></html>");
      case "/truncated.jpg":
        return send(200, "image/jpeg", jpeg.subarray(0, 600));
      case "/huge.jpg":
        return send(200, "image/jpeg", Buffer.concat([jpeg, Buffer.alloc(21 * 1024 * 1024)]));
      case "/down.jpg":
        return send(500, "text/plain", "image service failed");
      case "/gone.jpg":
        return send(404, "text/plain", "no such image");
      default:
        return send(404, "text/plain", "unknown");
    }
  });
  await new Promise<void>((resolve) => imageHost.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(imageHost.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  imageHost?.closeAllConnections();
  await new Promise((resolve) => imageHost?.close(resolve));
  await nc?.close();
  await natsServer?.stop();
  if (storeDir) rmSync(storeDir, { recursive: true, force: true });
});

type Config = z.input<typeof resizeImageNode.config>;

function context(images: unknown, config: Partial<Config> = {}, allowlist: string[] = LOOPBACK): ExecutionContext<z.output<typeof resizeImageNode.config>> {
  const example = builtInEventTypes["product.created"].example;
  return executionContext(resizeImageNode, config, {
    event: { ...example, id: "evt", data: { ...(example.data as Record<string, unknown>), images } } as typeof example,
    nodeId: "resize",
    services: { httpAllowlist: allowlist, nats: nc, prefix },
  });
}

async function failure(run: Promise<unknown>): Promise<Error> {
  try {
    await run;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the step to fail");
}

function keyOf(url: string): string[] {
  expect(url.startsWith("/api/assets/")).toBe(true);
  return url.slice("/api/assets/".length).split("/");
}

async function serve(url: string, headers: Record<string, string> = {}) {
  return route()(new Request(`http://localhost${url}`, { headers }), { params: Promise.resolve({ key: keyOf(url) }) });
}

describe("action:resize-image", () => {
  it("makes the configured webp variants, stores them and the route serves them with cache headers and ETag", async () => {
    const result = await resizeImageExecutor.execute(context([`${base}/photo.jpg`], { widths: [400, 800], fit: "inside", format: "webp", quality: 75 }));
    const images = result.output.images;
    expect(images).toHaveLength(2);
    expect(images.map((i) => [i.width, i.height, i.format])).toEqual([
      [400, 267],
      [800, 533],
    ].map(([w, h]) => [w, h, "webp"]));
    for (const image of images) {
      expect(image.source).toBe(`${base}/photo.jpg`);
      expect(image.url).toMatch(/^\/api\/assets\/[0-9a-f]{64}\/\d+-inside-q75\.webp$/);

      const response = await serve(image.url);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/webp");
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      const etag = response.headers.get("etag");
      expect(etag).toMatch(/^".+"$/);
      const body = Buffer.from(await response.arrayBuffer());
      expect(body.length).toBe(image.bytes);
      const meta = await sharp(body).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["webp", image.width, image.height]);

      const again = await serve(image.url, { "If-None-Match": etag! });
      expect(again.status).toBe(304);
      expect(again.headers.get("etag")).toBe(etag);
      expect(await again.text()).toBe("");
    }
  });

  it("is idempotent: a retry finds the stored variants under the same keys instead of storing new copies", async () => {
    const ctx = context([`${base}/photo.jpg`], { widths: [320], format: "jpeg", quality: 70 });
    const first = await resizeImageExecutor.execute(ctx);
    const store = (await openAssetStore(nc, prefix, { create: false }))!;
    const before = await store.info(keyOf(first.output.images[0]!.url).join("/"));
    const second = await resizeImageExecutor.execute({ ...ctx, attempt: 2 });
    expect(second.output).toEqual(first.output);
    const after = await store.info(keyOf(first.output.images[0]!.url).join("/"));
    expect(after!.nuid).toBe(before!.nuid);
    expect(first.output.images[0]).toMatchObject({ width: 320, height: 213, format: "jpeg" });
  });

  it("crops to squares (cover, avif) and pads transparent images onto white squares (contain, jpeg), judging by bytes not headers", async () => {
    const cover = await resizeImageExecutor.execute(context(`${base}/photo.jpg`, { widths: [300], fit: "cover", format: "avif", quality: 50 }));
    const [avif] = cover.output.images;
    expect(avif).toMatchObject({ width: 300, height: 300, format: "avif" });
    const avifBody = Buffer.from(await (await serve(avif!.url)).arrayBuffer());
    const avifMeta = await sharp(avifBody).metadata();
    expect([avifMeta.format, avifMeta.compression, avifMeta.width, avifMeta.height]).toEqual(["heif", "av1", 300, 300]);
    expect((await serve(avif!.url)).headers.get("content-type")).toBe("image/avif");

    // An object with `url`, served as application/octet-stream: still a PNG by its bytes.
    const contain = await resizeImageExecutor.execute(context([{ url: `${base}/mislabelled.bin` }], { widths: [200], fit: "contain", format: "jpeg" }));
    const [square] = contain.output.images;
    expect(square).toMatchObject({ width: 200, height: 200, format: "jpeg" });
    const body = Buffer.from(await (await serve(square!.url)).arrayBuffer());
    const meta = await sharp(body).metadata();
    expect([meta.format, meta.width, meta.height, meta.hasAlpha]).toEqual(["jpeg", 200, 200, false]);
    // The padding is white, not black.
    const { data } = await sharp(body).extract({ left: 100, top: 2, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
    expect([...data].every((v) => v > 240)).toBe(true);

    const png = await resizeImageExecutor.execute(context([`${base}/logo.png`], { widths: [1000], format: "png" }));
    // inside never enlarges: the 640 px source stays 640 px.
    expect(png.output.images[0]).toMatchObject({ width: 640, height: 480, format: "png" });
  });

  it("outputs nothing when the product has no images", async () => {
    expect((await resizeImageExecutor.execute(context(undefined))).output).toEqual({ images: [] });
  });

  it("fails permanently for a non-image sent as image/jpeg, naming what it got", async () => {
    const error = await failure(resizeImageExecutor.execute(context([`${base}/fake.jpg`])));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/\/fake\.jpg did not return an image/);
    expect(error.message).toMatch(/"<!DOCTYP"/);
    expect(error.message).toMatch(/sent as image\/jpeg/);
  });

  it("fails permanently for a truncated (corrupt) JPEG", async () => {
    const error = await failure(resizeImageExecutor.execute(context([`${base}/truncated.jpg`])));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/\/truncated\.jpg: a JPEG file, but the image data is corrupt or truncated/);
  });

  it("fails permanently for an image larger than the 20 MB limit (and a configured smaller one)", async () => {
    const error = await failure(resizeImageExecutor.execute(context([`${base}/huge.jpg`])));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/larger than the limit of 20 MB/);

    const small = createResizeImageExecutor({ maxSourceBytes: 10_000 });
    const smallError = await failure(small.execute(context([`${base}/photo.jpg`])));
    expect(smallError).toBeInstanceOf(PermanentError);
    expect(smallError.message).toMatch(/larger than the limit of 10000 bytes/);
  });

  it("treats a 500 from the image host as transient (host down) and a 404 as permanent", async () => {
    const down = await failure(resizeImageExecutor.execute(context([`${base}/down.jpg`])));
    expect(down).toBeInstanceOf(TransientError);
    expect((down as TransientError).systemDown).toBe(true);
    expect(down.message).toMatch(/answered 500/);

    const gone = await failure(resizeImageExecutor.execute(context([`${base}/gone.jpg`])));
    expect(gone).toBeInstanceOf(PermanentError);
    expect(gone.message).toMatch(/answered 404/);
  });

  it("treats an unreachable image host as transient", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(resizeImageExecutor.execute(context([`http://127.0.0.1:${port}/x.jpg`])));
    expect(error).toBeInstanceOf(TransientError);
  });

  it("refuses loopback addresses without the allow-list, before any request", async () => {
    const seen = requests;
    const error = await failure(resizeImageExecutor.execute(context([`${base}/photo.jpg`], {}, [])));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/Refused to connect: 127\.0\.0\.1 is a loopback address/);
    expect(requests).toBe(seen);
  });

  it("refuses values that are not http(s) image URLs", async () => {
    expect((await failure(resizeImageExecutor.execute(context(["file:///etc/passwd"])))).message).toMatch(/only http and https/);
    expect((await failure(resizeImageExecutor.execute(context([42])))).message).toMatch(/not an image URL/);
  });
});

describe("GET /api/assets/[...key]", () => {
  const call = (key: string[], deps?: Parameters<typeof createAssetRoute>[0]) =>
    (deps ? createAssetRoute(deps) : route())(new Request(`http://localhost/api/assets/${key.join("/")}`), { params: Promise.resolve({ key }) });

  it("answers 404 for a key that is not stored, and for a bucket that does not exist", async () => {
    await resizeImageExecutor.execute(context([], {})); // the bucket exists from the tests above
    const missing = await call(["0".repeat(64), "400-inside-q80.webp"]);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { message: expect.stringMatching(/No asset/) } });

    const otherPrefix = await call(["a", "b.webp"], { nats: async () => nc, prefix: () => `${prefix}_none` });
    expect(otherPrefix.status).toBe(404);
    // Reading never creates the bucket.
    expect(await openAssetStore(nc, `${prefix}_none`, { create: false })).toBeNull();
    expect(assetBucketName(prefix)).toBe(`${prefix}_assets`);
  });

  it("answers 400 for keys with .. or odd characters", async () => {
    for (const key of [["..", "etc", "passwd.webp"], ["abc", "..%2f..%2fx.webp"], ["a b.webp"], ["a", "b;c.webp"], ["%zz"], [".hidden.webp"], ["a$.webp"]]) {
      const response = await call(key);
      expect(response.status, key.join("/")).toBe(400);
    }
  });

  it("answers 503 when NATS is unreachable", async () => {
    const rejecting = await call(["a", "b.webp"], { nats: () => Promise.reject(new Error("connection refused")), prefix: () => prefix });
    expect(rejecting.status).toBe(503);
    expect(rejecting.headers.get("retry-after")).toBe("5");
    const hanging = await call(["a", "b.webp"], { nats: () => new Promise(() => {}), prefix: () => prefix, timeoutMs: 200 });
    expect(hanging.status).toBe(503);
  });
});
