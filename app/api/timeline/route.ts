import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { db } from "@/server/db/client";
import { jsonResponse } from "@/server/http-api/api-response";
import { apiRoute } from "@/server/http-api/api-route";
import { keyTimeline, timelineQuerySchema } from "@/server/history/run-history";
import { parseQuery } from "@/server/http-api/query-params";

export const dynamic = "force-dynamic";

/** Everything that happened to one ordering key across all flows: runs, dead letters, held events. */
export const GET = apiRoute({ role: "viewer", scope: "read" }, async (request) => {
  const query = parseQuery(request.url, timelineQuerySchema);
  return jsonResponse(await keyTimeline(db(), query.subject, { limit: query.limit }));
});
export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
