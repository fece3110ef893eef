import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { env } from "@/server/env";
import { db } from "@/server/db/client";
import { ApiError, jsonResponse, readJsonBody } from "@/server/http-api/api-response";
import { apiRoute } from "@/server/http-api/api-route";
import { recordAudit } from "@/server/audit/audit-log";
import { redriveBodySchema, requestRedrive } from "@/server/history/dead-letter-store";

export const dynamic = "force-dynamic";

/**
 * Redrives one open dead letter, optionally with an edited event (`{ "event": { ... } }`).
 * 202: the owning worker does the redrive; this records that it was asked for.
 */
export const POST = apiRoute<{ id: string }>({ role: "editor", scope: "full" }, async (request, { params, caller }) => {
  const body = await readOptionalBody(request);
  const result = await requestRedrive(db(), params.id, { event: body?.event }, { by: caller.actor.label });
  await recordAudit(db(), caller.actor, "deadLetter.redriven", { type: "deadLetter", id: params.id }, { edited: body?.event !== undefined });
  return jsonResponse(result, 202);
});

// `curl -X POST …/redrive` sends no body at all, and that is the common case: no edit. An empty
// (or blank) body therefore means "redrive as is" rather than "invalid JSON". Only the leading
// blank chunks are read here; the rest streams through readJsonBody and its size limit.
async function readOptionalBody(request: Request) {
  if (!request.body) return undefined;
  // Room for the envelope around an event of the largest size ingest accepts.
  const maxBytes = env().SYNCLINE_MAX_EVENT_BYTES + 64_000;
  const reader = request.body.getReader();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return undefined;
    head.push(value);
    headBytes += value.byteLength;
    if (headBytes > maxBytes) {
      await reader.cancel();
      throw new ApiError(413, `The body is larger than the limit of ${maxBytes} bytes.`);
    }
    if (value.some((byte) => !BLANK.has(byte))) break;
  }
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of head) controller.enqueue(chunk);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  const replay = new Request(request.url, { method: "POST", headers: request.headers, body, duplex: "half" } as RequestInit);
  return readJsonBody(replay, redriveBodySchema, maxBytes);
}

const BLANK = new Set([0x20, 0x09, 0x0a, 0x0d]);
export const { GET, PUT, PATCH, DELETE } = methodNotAllowed("POST");
