import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { db } from "@/server/db/client";
import { jsonResponse, readJsonBody } from "@/server/http-api/api-response";
import { apiRoute } from "@/server/http-api/api-route";
import { recordAudit } from "@/server/audit/audit-log";
import { bulkRedriveSchema, requestRedriveMany } from "@/server/history/dead-letter-store";

export const dynamic = "force-dynamic";

/** Redrives many: `{ ids }`, or `{ flow, subject }` for every open letter of a flow and/or key. */
export const POST = apiRoute({ role: "editor", scope: "full" }, async (request, { caller }) => {
  const body = await readJsonBody(request, bulkRedriveSchema, 200_000);
  const result = await requestRedriveMany(db(), body.ids ? { ids: body.ids } : { flowId: body.flow, subject: body.subject }, { by: caller.actor.label });
  await recordAudit(db(), caller.actor, "deadLetter.redriven", { type: "deadLetter", id: body.ids ? body.ids.join(",") : "*" }, { filter: body.ids ? null : { flow: body.flow, subject: body.subject } });
  // 202: the owning workers do the redrive; this only records that it was asked for.
  return jsonResponse(result, 202);
});
export const { GET, PUT, PATCH, DELETE } = methodNotAllowed("POST");
