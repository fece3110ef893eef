import "server-only";
import { createHash } from "node:crypto";
import { assetUrl, openAssetStore, variantKey } from "../../assets/asset-store";
import { DEFAULT_MAX_INPUT_PIXELS, ImageDecodeError, inspectSource, renderVariant } from "../../assets/resize-variants";
import { describeLeadingBytes, sniffImage } from "../../assets/sniff-image";
import { evaluateExpression } from "../../expressions/evaluate-expression";
import { defineExecutor, type ExecutionContext } from "../define-executor";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { describeCall, errorForRequestFailure, errorForResponse } from "@/server/outbound/classify-failure";
import { sendRequest, type OutboundResponse } from "@/server/outbound/outbound-request";
import { resizeImageNode } from "./definition";

// action:resize-image: fetch each product image through the SSRF-safe sendRequest, make sure by
// its bytes that it is an image, make the configured variants with sharp and store them in the
// `<prefix>_assets` object store under content-addressed keys (retries find their earlier work).
//
//   unreachable host, timeout, 5xx, 429 while fetching  → transient (the host is down)
//   4xx, refused address, too large, not an image, corrupt → permanent, with the reason

export interface ResizeImageOptions {
  /** Largest source image fetched. Default 20 MiB. */
  maxSourceBytes?: number;
  /** Time limit for fetching one source image. Default 30 s. */
  fetchTimeoutMs?: number;
  /** Largest source image decoded, in pixels. Default 100 megapixels. */
  maxInputPixels?: number;
  /** Most image URLs one step handles. Default 50. */
  maxImages?: number;
}

export const DEFAULT_MAX_SOURCE_BYTES = 20 * 1024 * 1024;
export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_IMAGES = 50;

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MB` : `${bytes} bytes`;
}

/** The URLs an `images` expression gave: a URL, a list of URLs, or objects with `url` / `src`. */
export function imageUrlsOf(value: unknown): string[] {
  const urls: string[] = [];
  const visit = (item: unknown, path: string) => {
    if (item === undefined || item === null) return;
    if (typeof item === "string") {
      if (item.trim() !== "") urls.push(item.trim());
      return;
    }
    if (Array.isArray(item)) {
      item.forEach((entry, i) => visit(entry, `${path}[${i}]`));
      return;
    }
    if (typeof item === "object") {
      const candidate = (item as Record<string, unknown>).url ?? (item as Record<string, unknown>).src;
      if (typeof candidate === "string") return visit(candidate, path);
    }
    throw new PermanentError(`Images: ${path} is ${JSON.stringify(item)?.slice(0, 80) ?? typeof item}, not an image URL (expected a URL, a list of URLs, or objects with "url")`);
  };
  visit(value, "the result");
  return [...new Set(urls)];
}

function parseImageUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PermanentError(`Images: "${text.slice(0, 200)}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new PermanentError(`Images: only http and https image URLs can be fetched, not ${url.protocol}`);
  return url;
}

async function fetchSource(url: URL, context: ExecutionContext<unknown>, maxBytes: number, timeoutMs: number): Promise<OutboundResponse> {
  let response: OutboundResponse;
  try {
    response = await sendRequest({
      method: "GET",
      url,
      headers: { accept: "image/avif,image/webp,image/png,image/jpeg,image/gif,image/*;q=0.8", traceparent: context.traceparent },
      timeoutMs,
      signal: context.signal,
      allowlist: context.services.httpAllowlist,
      maxResponseBytes: maxBytes,
    });
  } catch (error) {
    throw errorForRequestFailure(error, "GET", url);
  }
  const failure = errorForResponse(response, "GET");
  if (failure) throw failure;
  const call = describeCall("GET", response.url);
  if (response.status !== 200) throw new PermanentError(`${call} answered ${response.status} ${response.statusText} instead of the image`.trim());
  if (response.truncated) {
    const declared = Number(response.headers["content-length"]);
    const size = Number.isFinite(declared) && declared > maxBytes ? ` (${formatBytes(declared)})` : "";
    throw new PermanentError(`${call}: the image is larger than the limit of ${formatBytes(maxBytes)}${size}`);
  }
  return response;
}

/** The executor with its limits; `resizeImageExecutor` uses the defaults. */
export function createResizeImageExecutor(options: ResizeImageOptions = {}) {
  const maxSourceBytes = options.maxSourceBytes ?? DEFAULT_MAX_SOURCE_BYTES;
  const fetchTimeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const maxInputPixels = options.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  const maxImages = options.maxImages ?? DEFAULT_MAX_IMAGES;

  return defineExecutor(resizeImageNode, async (context) => {
    const { config } = context;
    const { nats, prefix } = context.services;
    if (!nats || !prefix) throw new PermanentError("action:resize-image needs the NATS object store, which this worker was started without");

    const urls = imageUrlsOf(await evaluateExpression(config.images, { event: context.event, steps: context.steps })).map(parseImageUrl);
    if (urls.length > maxImages) throw new PermanentError(`Images: ${urls.length} image URLs, more than the limit of ${maxImages} per step`);
    const widths = [...new Set(config.widths)];

    let store;
    try {
      store = (await openAssetStore(nats, prefix, { create: true }))!;
    } catch (error) {
      throw new TransientError(`the assets object store is not available: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }

    const images = [];
    for (const url of urls) {
      const source = url.href;
      const response = await fetchSource(url, context, maxSourceBytes, fetchTimeoutMs);
      const call = describeCall("GET", response.url);
      const sniffed = sniffImage(response.body);
      if (!sniffed) {
        const declared = response.headers["content-type"] ? `, although it was sent as ${response.headers["content-type"]}` : "";
        throw new PermanentError(
          `${call} did not return an image (JPEG, PNG, WebP, AVIF/HEIF or GIF): ${describeLeadingBytes(response.body)}${declared}`,
        );
      }
      try {
        await inspectSource(response.body, maxInputPixels);
      } catch (error) {
        if (error instanceof ImageDecodeError) throw new PermanentError(`${call}: a ${sniffed.format.toUpperCase()} file, but ${error.message}`, { cause: error });
        throw error;
      }
      const sourceSha256 = createHash("sha256").update(response.body).digest("hex");

      for (const width of widths) {
        const key = variantKey({ sourceSha256, width, fit: config.fit, format: config.format, quality: config.quality });
        try {
          // Already made by an earlier try (or another flow with the same image and settings).
          const existing = await store.info(key);
          const meta = existing && !existing.deleted ? existing.metadata : undefined;
          if (meta?.width && meta.height) {
            images.push({ source, url: assetUrl(key), width: Number(meta.width), height: Number(meta.height), format: config.format, bytes: existing!.size });
            continue;
          }
        } catch (error) {
          throw new TransientError(`reading the assets object store failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
        let variant;
        try {
          variant = await renderVariant(response.body, { width, fit: config.fit, format: config.format, quality: config.quality }, maxInputPixels);
        } catch (error) {
          if (error instanceof ImageDecodeError) throw new PermanentError(`${call}: ${error.message}`, { cause: error });
          throw error;
        }
        try {
          await store.putBlob(
            {
              name: key,
              description: `${width}px ${config.fit} ${config.format} of ${source.slice(0, 200)}`,
              metadata: { width: String(variant.width), height: String(variant.height), format: variant.format, source: source.slice(0, 1000) },
            },
            variant.data,
          );
        } catch (error) {
          throw new TransientError(`storing ${key} in the assets object store failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
        images.push({ source, url: assetUrl(key), width: variant.width, height: variant.height, format: variant.format, bytes: variant.data.length });
      }
    }
    return { output: { images } };
  });
}

export const resizeImageExecutor = createResizeImageExecutor();
