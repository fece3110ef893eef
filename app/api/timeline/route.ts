import { db } from "@/server/db/client";
import { jsonResponse } from "@/server/http/api-response";
import { apiRoute } from "@/server/http/api-route";
import { keyTimeline, parseQuery, timelineQuerySchema } from "@/server/runtime/run-history";

export const dynamic = "force-dynamic";

/** Everything that happened to one ordering key across all flows: runs, dead letters, held events. */
export const GET = apiRoute({ role: "viewer", scope: "read" }, async (request) => {
  const query = parseQuery(request.url, timelineQuerySchema);
  return jsonResponse(await keyTimeline(db(), query.subject, { limit: query.limit }));
});
