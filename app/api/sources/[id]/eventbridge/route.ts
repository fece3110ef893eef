import { db } from "@/server/db/client";
import { errorResponse } from "@/server/http-api/api-response";
import { anonymousRoute } from "@/server/http-api/api-route";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { handleEventBridgeRequest } from "@/server/webhooks/receive-source-push";

export const dynamic = "force-dynamic";

/**
 * An EventBridge API destination. Authenticated by the source's own header credential (the
 * connection's API key or basic auth), not by an API key of ours: EventBridge only knows this URL
 * and that header.
 */
export const POST = anonymousRoute<{ id: string }>(async (request, { params: { id } }) => {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return errorResponse(404, "No such source.");
  return await handleEventBridgeRequest(request, id, { db: db() });
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed("POST");
