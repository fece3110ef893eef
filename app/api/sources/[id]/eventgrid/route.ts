import { db } from "@/server/db/client";
import { errorResponse } from "@/server/http-api/api-response";
import { anonymousRoute } from "@/server/http-api/api-route";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { handleEventGridOptions, handleEventGridRequest } from "@/server/webhooks/receive-source-push";

export const dynamic = "force-dynamic";

const validId = (id: string) => /^[0-9a-f-]{36}$/i.test(id);

/**
 * An Azure Event Grid webhook subscription (Event Grid or CloudEvents 1.0 schema). Authenticated
 * by the source's own secret (`?secret=` in the endpoint URL, or a delivery header), not by an API
 * key of ours; the validation handshakes need it too.
 */
export const POST = anonymousRoute<{ id: string }>(async (request, { params: { id } }) => {
  if (!validId(id)) return errorResponse(404, "No such source.");
  return await handleEventGridRequest(request, id, { db: db() });
});

/** The CloudEvents webhook abuse-protection handshake. */
export const OPTIONS = anonymousRoute<{ id: string }>(async (request, { params: { id } }) => {
  if (!validId(id)) return errorResponse(404, "No such source.");
  return await handleEventGridOptions(request, id, { db: db() });
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed("POST");
