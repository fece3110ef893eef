import { db } from "@/server/db/client";
import { errorResponse } from "@/server/http-api/api-response";
import { anonymousRoute } from "@/server/http-api/api-route";
import { handleWebhookRequest } from "@/server/webhooks/receive-webhook";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";

export const dynamic = "force-dynamic";

/**
 * A flow's webhook trigger. Authenticated by the trigger's own secret (signature or bearer token),
 * not by an API key: the caller is an outside system that only knows this URL and its secret.
 */
export const POST = anonymousRoute<{ path: string }>(async (request, { params: { path } }) => {
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(path) || path.length > 100) return errorResponse(404, `No published flow has the webhook "${path}".`);
  return await handleWebhookRequest(request, path, { db: db() });
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed("POST");
