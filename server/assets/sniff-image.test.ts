import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { assetUrl, contentTypeForKey, isValidAssetKey, variantKey } from "./asset-store";
import { describeLeadingBytes, sniffImage } from "./sniff-image";

const square = () => sharp({ create: { width: 8, height: 8, channels: 3, background: "#c02020" } });

describe("sniffImage", () => {
  it("recognises real JPEG, PNG, WebP, AVIF and GIF bytes", async () => {
    expect(sniffImage(await square().jpeg().toBuffer())?.format).toBe("jpeg");
    expect(sniffImage(await square().png().toBuffer())?.format).toBe("png");
    expect(sniffImage(await square().webp().toBuffer())?.format).toBe("webp");
    expect(sniffImage(await square().avif().toBuffer())).toEqual({ format: "avif", mimeType: "image/avif" });
    expect(sniffImage(await square().gif().toBuffer())?.format).toBe("gif");
  });

  it("recognises a HEIC ftyp box and rejects everything else", () => {
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from("ftypheic"), Buffer.alloc(4), Buffer.from("mif1heic")]);
    expect(sniffImage(heic)?.format).toBe("heif");
    expect(sniffImage(Buffer.from("<!DOCTYPE html>"))).toBeNull();
    expect(sniffImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(sniffImage(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(sniffImage(Buffer.alloc(0))).toBeNull();
    expect(describeLeadingBytes(Buffer.alloc(0))).toBe("the file is empty");
  });
});

describe("asset keys", () => {
  it("are content-addressed and validated strictly", () => {
    const key = variantKey({ sourceSha256: "ab".repeat(32), width: 400, fit: "inside", format: "webp", quality: 80 });
    expect(key).toBe(`${"ab".repeat(32)}/400-inside-q80.webp`);
    expect(isValidAssetKey(key)).toBe(true);
    expect(contentTypeForKey(key)).toBe("image/webp");
    expect(contentTypeForKey("a/b.svg")).toBeNull();
    expect(assetUrl(key)).toBe(`/api/assets/${key}`);
    for (const bad of ["", "../x.webp", "a/../b.webp", "a//b.webp", ".x.webp", "a b.webp", "a/b\\c.webp", "a%2fb.webp", "a/b/c/d/e.webp", "x".repeat(300)]) {
      expect(isValidAssetKey(bad), bad).toBe(false);
    }
  });
});
