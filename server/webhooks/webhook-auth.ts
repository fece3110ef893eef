import { createHmac, timingSafeEqual } from "node:crypto";

// How a caller proves it may start a webhook flow. HMAC: the signature covers the timestamp and
// the exact bytes of the body, so neither can be changed, and an old (replayed) call falls outside
// the tolerance. Bearer: a shared token, for callers that cannot sign.

const TIMESTAMP_HEADER = "x-syncline-timestamp";
const SIGNATURE_HEADER = "x-syncline-signature";
/** How far a signed call's timestamp may be from our clock, either way. */
const DEFAULT_TOLERANCE_SECONDS = 300;

export type WebhookAuthentication = "hmac" | "bearer";

/** `sha256=<hex>` over `<timestamp>.<body>`: what a caller sends as X-Syncline-Signature. */
export function signWebhookCall(secret: string, timestamp: number | string, body: Uint8Array | string): string {
  const mac = createHmac("sha256", secret);
  mac.update(`${timestamp}.`);
  mac.update(body);
  return `sha256=${mac.digest("hex")}`;
}

function sameSecret(a: string, b: string): boolean {
  // Compare digests, not the strings: equal lengths for timingSafeEqual, and no early exit.
  const da = createHmac("sha256", "syncline-compare").update(a).digest();
  const db = createHmac("sha256", "syncline-compare").update(b).digest();
  return timingSafeEqual(da, db);
}

export type AuthOutcome = { ok: true } | { ok: false; reason: string };

export function checkWebhookAuth(input: {
  authentication: WebhookAuthentication;
  secret: string;
  headers: Headers;
  body: Uint8Array;
  nowSeconds: number;
  toleranceSeconds?: number;
}): AuthOutcome {
  const { headers, secret } = input;
  if (input.authentication === "bearer") {
    const match = /^Bearer\s+(.+)$/i.exec(headers.get("authorization")?.trim() ?? "");
    if (!match) return { ok: false, reason: "Send Authorization: Bearer <token>." };
    return sameSecret(match[1]!.trim(), secret) ? { ok: true } : { ok: false, reason: "The bearer token is not valid." };
  }
  const timestamp = headers.get(TIMESTAMP_HEADER)?.trim() ?? "";
  const signature = headers.get(SIGNATURE_HEADER)?.trim() ?? "";
  if (!timestamp || !signature) {
    return { ok: false, reason: `Sign the call: send ${TIMESTAMP_HEADER} (Unix seconds) and ${SIGNATURE_HEADER}: sha256=<HMAC-SHA256 of "<timestamp>.<body>">.` };
  }
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: `${TIMESTAMP_HEADER} must be Unix time in seconds.` };
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(input.nowSeconds - Number(timestamp)) > tolerance) {
    return { ok: false, reason: `The timestamp is more than ${tolerance} seconds from the server's clock (a replayed or delayed call).` };
  }
  const expected = signWebhookCall(secret, timestamp, input.body);
  return sameSecret(signature.toLowerCase(), expected) ? { ok: true } : { ok: false, reason: "The signature does not match the body." };
}
