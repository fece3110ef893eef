import { db } from "@/server/db/client";
import { apiRoute, jsonResponse, readJsonBody } from "@/server/http-api/api-response";
import { bulkRedriveSchema, requestRedriveMany } from "@/server/history/dead-letter-store";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";

export const dynamic = "force-dynamic";

/** Redrives many: `{ ids }`, or `{ flow, subject }` for every open letter of a flow and/or key. */
export const POST = apiRoute(async (request) => {
  const body = await readJsonBody(request, bulkRedriveSchema, 200_000);
  const result = await requestRedriveMany(db(), body.ids ? { ids: body.ids } : { flowId: body.flow, subject: body.subject });
  // 202: the owning workers do the redrive; this only records that it was asked for.
  return jsonResponse(result, 202);
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed("POST");
