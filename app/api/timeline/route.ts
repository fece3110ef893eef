import { db } from "@/server/db/client";
import { apiRoute, jsonResponse } from "@/server/http/api-response";
import { keyTimeline, parseQuery, timelineQuerySchema } from "@/server/runtime/run-history";
import { methodNotAllowed } from "@/server/http/method-not-allowed";

export const dynamic = "force-dynamic";

/** Everything that happened to one ordering key across all flows: runs, dead letters, held events. */
export const GET = apiRoute(async (request) => {
  const query = parseQuery(request.url, timelineQuerySchema);
  return jsonResponse(await keyTimeline(db(), query.subject, { limit: query.limit }));
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
