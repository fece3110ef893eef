import { db } from "@/server/db/client";
import { apiRoute, jsonResponse } from "@/server/http-api/api-response";
import { keyTimeline, timelineQuerySchema } from "@/server/history/run-history";
import { parseQuery } from "@/server/http-api/query-params";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";

export const dynamic = "force-dynamic";

/** Everything that happened to one ordering key across all flows: runs, dead letters, held events. */
export const GET = apiRoute(async (request) => {
  const query = parseQuery(request.url, timelineQuerySchema);
  return jsonResponse(await keyTimeline(db(), query.subject, { limit: query.limit }));
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
