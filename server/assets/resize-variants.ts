// No `import "server-only"`: loaded by the worker through the resize-image executor.
import type { Sharp } from "sharp";
import type { VariantFit, VariantFormat } from "./asset-store";

// Turning one source image into web-sized copies with sharp. Decoding is the dangerous part
// (decompression bombs, corrupt files), so it is bounded by a pixel limit and every decoder
// failure is reported as an ImageDecodeError the caller can turn into a permanent failure.

/** Default cap on the source's pixel count (width × height): 100 megapixels. */
export const DEFAULT_MAX_INPUT_PIXELS = 100_000_000;

export class ImageDecodeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ImageDecodeError";
  }
}

export interface VariantSpec {
  width: number;
  fit: VariantFit;
  format: VariantFormat;
  quality: number;
}

export interface RenderedVariant {
  data: Buffer;
  width: number;
  height: number;
  format: VariantFormat;
}

export interface SourceImageInfo {
  width: number;
  height: number;
  /** sharp's name for the decoded format, e.g. "jpeg", "heif". */
  format: string;
}

// sharp (and libvips) loaded on first use: most workers never resize an image (docs/decisions/0031).
let sharpModule: Promise<typeof import("sharp")> | undefined;

async function open(source: Buffer, maxInputPixels: number): Promise<Sharp> {
  const { default: sharp } = await (sharpModule ??= import("sharp"));
  // failOn "error": a truncated or corrupt file is refused rather than half-decoded into grey.
  return sharp(source, { limitInputPixels: maxInputPixels, failOn: "error", animated: false });
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads the header and decodes the whole image once, so broken files fail before any variant is made. */
export async function inspectSource(source: Buffer, maxInputPixels = DEFAULT_MAX_INPUT_PIXELS): Promise<SourceImageInfo> {
  let metadata;
  try {
    metadata = await (await open(source, maxInputPixels)).metadata();
  } catch (error) {
    throw new ImageDecodeError(`the file cannot be read as an image: ${reason(error)}`, { cause: error });
  }
  const { width, height, format } = metadata;
  if (!width || !height) throw new ImageDecodeError("the file has no image dimensions");
  if (width * height > maxInputPixels) {
    throw new ImageDecodeError(`the image is ${width}×${height} pixels, more than the limit of ${maxInputPixels} pixels`);
  }
  try {
    // A full decode: headers can be intact while the pixel data is truncated or corrupt.
    await (await open(source, maxInputPixels)).stats();
  } catch (error) {
    throw new ImageDecodeError(`the image data is corrupt or truncated: ${reason(error)}`, { cause: error });
  }
  return { width, height, format: String(format) };
}

/**
 * One variant. `inside` keeps the whole image at the given width (never enlarging a smaller
 * source); `contain` pads to a width × width square; `cover` crops to one. The image is turned
 * upright from its EXIF orientation, and metadata (EXIF, GPS) is not copied into the variant.
 */
export async function renderVariant(source: Buffer, spec: VariantSpec, maxInputPixels = DEFAULT_MAX_INPUT_PIXELS): Promise<RenderedVariant> {
  const opaque = spec.format === "jpeg";
  let pipeline = (await open(source, maxInputPixels)).rotate();
  if (spec.fit === "inside") {
    pipeline = pipeline.resize({ width: spec.width, fit: "inside", withoutEnlargement: true });
  } else {
    pipeline = pipeline.resize({
      width: spec.width,
      height: spec.width,
      fit: spec.fit,
      position: "centre",
      background: opaque ? { r: 255, g: 255, b: 255, alpha: 1 } : { r: 255, g: 255, b: 255, alpha: 0 },
    });
  }
  // JPEG has no transparency: transparent areas become white instead of black.
  if (opaque) pipeline = pipeline.flatten({ background: { r: 255, g: 255, b: 255 } });
  switch (spec.format) {
    case "webp":
      pipeline = pipeline.webp({ quality: spec.quality });
      break;
    case "avif":
      pipeline = pipeline.avif({ quality: spec.quality });
      break;
    case "jpeg":
      pipeline = pipeline.jpeg({ quality: spec.quality, mozjpeg: true });
      break;
    case "png":
      // Lossless; quality does not apply.
      pipeline = pipeline.png({ compressionLevel: 9 });
      break;
  }
  try {
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, format: spec.format };
  } catch (error) {
    throw new ImageDecodeError(`the image could not be converted to ${spec.format} at ${spec.width} px: ${reason(error)}`, { cause: error });
  }
}
