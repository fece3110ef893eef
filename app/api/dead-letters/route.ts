import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { db } from "@/server/db/client";
import { jsonResponse } from "@/server/http-api/api-response";
import { apiRoute } from "@/server/http-api/api-route";
import { parseQuery } from "@/server/http-api/query-params";
import { deadLetterListQuerySchema, listDeadLetters } from "@/server/history/dead-letter-store";

export const dynamic = "force-dynamic";

/** Dead letters newest first, `open` ones unless `status` says otherwise. */
export const GET = apiRoute({ role: "viewer", scope: "read" }, async (request) => {
  const query = parseQuery(request.url, deadLetterListQuerySchema);
  const page = await listDeadLetters(db(), { flowId: query.flow, subject: query.subject, status: query.status, limit: query.limit, cursor: query.cursor });
  return jsonResponse(page);
});
export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
