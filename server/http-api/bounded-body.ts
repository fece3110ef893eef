import { ApiError } from "./api-response";
import type { HttpRequest } from "./http-request";

/** Reads a request body of at most `maxBytes`; throws ApiError 413 past it (declared or streamed). */
export async function readBodyBounded(request: HttpRequest, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new ApiError(413, `The body is ${declared} bytes; the limit is ${maxBytes} bytes.`);
  }
  if (request.bodyBytes) {
    if (request.bodyBytes.byteLength > maxBytes) throw new ApiError(413, `The body is larger than the limit of ${maxBytes} bytes.`);
    return request.bodyBytes as Uint8Array<ArrayBuffer>;
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new ApiError(413, `The body is larger than the limit of ${maxBytes} bytes.`);
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
