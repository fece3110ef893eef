// What an image file really is, decided by its first bytes (magic numbers), never by the
// Content-Type header a server sent: image hosts mislabel files, and an HTML error page served as
// image/jpeg must be recognised as "not an image" before it reaches the decoder.

export type SniffedImageFormat = "jpeg" | "png" | "webp" | "avif" | "heif" | "gif";

export interface SniffedImage {
  format: SniffedImageFormat;
  mimeType: string;
}

const MIME: Record<SniffedImageFormat, string> = {
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  avif: "image/avif",
  heif: "image/heif",
  gif: "image/gif",
};

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const AVIF_BRANDS = new Set(["avif", "avis"]);
const HEIF_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1", "mif2"]);

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((byte, i) => bytes[offset + i] === byte);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

/** The image format the bytes start with, or null when they are not one of the supported formats. */
export function sniffImage(bytes: Uint8Array): SniffedImage | null {
  const format = sniffFormat(bytes);
  return format ? { format, mimeType: MIME[format] } : null;
}

function sniffFormat(bytes: Uint8Array): SniffedImageFormat | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(bytes, PNG_SIGNATURE)) return "png";
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === "GIF87a" || ascii(bytes, 0, 6) === "GIF89a")) return "gif";
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return "webp";
  // ISO base media file: [box size: 4 bytes]["ftyp"][major brand][minor version][compatible brands…]
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === "ftyp") {
    const boxSize = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
    const end = Math.min(bytes.length, boxSize >= 16 ? boxSize : 16);
    const brands = [ascii(bytes, 8, 12)];
    for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(bytes, at, at + 4));
    if (brands.some((brand) => AVIF_BRANDS.has(brand))) return "avif";
    if (brands.some((brand) => HEIF_BRANDS.has(brand))) return "heif";
  }
  return null;
}

/** The first bytes of a file in a form that fits an error message, e.g. `3c 21 44 4f ("<!DO")`. */
export function describeLeadingBytes(bytes: Uint8Array, count = 8): string {
  if (bytes.length === 0) return "the file is empty";
  const head = bytes.subarray(0, count);
  const hex = [...head].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  const printable = [...head].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
  return `it starts with ${hex} ("${printable}")`;
}
