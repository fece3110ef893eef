import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { db } from "@/server/db/client";
import { jsonResponse } from "@/server/http-api/api-response";
import { apiRoute } from "@/server/http-api/api-route";
import { listRuns, runListQuerySchema } from "@/server/history/run-history";
import { parseQuery } from "@/server/http-api/query-params";

export const dynamic = "force-dynamic";

/** Runs newest first; page with `cursor` = the previous page's `nextCursor`. */
export const GET = apiRoute({ role: "viewer", scope: "read" }, async (request) => {
  const query = parseQuery(request.url, runListQuerySchema);
  const page = await listRuns(db(), { flowId: query.flow, subject: query.subject, status: query.status, limit: query.limit, cursor: query.cursor });
  return jsonResponse(page);
});
export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
