// No `import "server-only"`: the worker (tsx) loads this through the resize-image executor too.
import { StorageType } from "@nats-io/jetstream";
import { Objm, type ObjectInfo, type ObjectStore } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";

// Resized product images live in a NATS object store bucket `<prefix>_assets`, under
// content-addressed keys: `<sha256 of the source bytes>/<width>-<fit>-q<quality>.<format>`. The same
// source and settings always give the same key, so a retried or redriven step finds its earlier
// result instead of storing a second copy, and a key's bytes never change: the URL that serves
// them can be cached forever (`immutable`).

export const ASSET_URL_PATH = "/api/assets/";

export const VARIANT_FORMATS = ["webp", "avif", "jpeg", "png"] as const;
export type VariantFormat = (typeof VARIANT_FORMATS)[number];
export type VariantFit = "cover" | "contain" | "inside";

/** Content types by key extension; a key with another extension is never stored nor served. */
const ASSET_CONTENT_TYPES: Readonly<Record<string, string>> = {
  webp: "image/webp",
  avif: "image/avif",
  jpeg: "image/jpeg",
  png: "image/png",
};

const MAX_KEY_LENGTH = 256;
const MAX_KEY_SEGMENTS = 4;
// Letters, digits and `-_.`, not starting with a dot: no `..`, no hidden names, nothing to escape.
const KEY_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function assetBucketName(prefix: string): string {
  return `${prefix}_assets`;
}

export interface VariantKeyParts {
  /** Hex sha256 of the source image bytes. */
  sourceSha256: string;
  width: number;
  fit: VariantFit;
  format: VariantFormat;
  quality: number;
}

export function variantKey({ sourceSha256, width, fit, format, quality }: VariantKeyParts): string {
  return `${sourceSha256}/${width}-${fit}-q${quality}.${format}`;
}

/** A key that may be stored and served: `/`-separated segments of `[A-Za-z0-9_.-]`, no `..`. */
export function isValidAssetKey(key: string): boolean {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || key.includes("..")) return false;
  const segments = key.split("/");
  return segments.length <= MAX_KEY_SEGMENTS && segments.every((segment) => KEY_SEGMENT.test(segment));
}

/** The content type of a key by its extension, or null when it is not an asset type we serve. */
export function contentTypeForKey(key: string): string | null {
  const dot = key.lastIndexOf(".");
  if (dot < 0) return null;
  return ASSET_CONTENT_TYPES[key.slice(dot + 1).toLowerCase()] ?? null;
}

/** The path the web app serves a key at (relative to the app's origin). */
export function assetUrl(key: string): string {
  return ASSET_URL_PATH + key.split("/").map(encodeURIComponent).join("/");
}

/** ETag of a stored object: its SHA-256 digest, which the object store computed when it was put. */
export function assetEtag(info: Pick<ObjectInfo, "digest">): string {
  return `"${info.digest.replace(/^SHA-256=/i, "")}"`;
}

// One handle per connection and bucket: opening asks the server for the stream's info, which is
// needless traffic on every step or request. Failed opens are not cached.
const stores = new WeakMap<NatsConnection, Map<string, Promise<ObjectStore>>>();

/**
 * The assets bucket. `create: true` (the executor) creates it when missing; `create: false` (the
 * web route) resolves to null when it does not exist yet, so a read never creates a stream.
 */
export async function openAssetStore(nc: NatsConnection, prefix: string, options: { create: boolean }): Promise<ObjectStore | null> {
  const bucket = assetBucketName(prefix);
  let byBucket = stores.get(nc);
  if (!byBucket) stores.set(nc, (byBucket = new Map()));
  const cached = byBucket.get(bucket);
  if (cached) return cached;

  const objm = new Objm(nc);
  // Only options NATS 2.9 understands: no compression or metadata (2.10) on the stream.
  const opening = options.create
    ? objm.create(bucket, { storage: StorageType.File, description: "Syncline: resized product images" })
    : objm.open(bucket, true);
  byBucket.set(bucket, opening);
  try {
    return await opening;
  } catch (error) {
    byBucket.delete(bucket);
    if (!options.create && error instanceof Error && error.message === "object store not found") return null;
    throw error;
  }
}
