import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { db } from "@/server/db/client";
import { jsonResponse } from "@/server/http-api/api-response";
import { apiRoute } from "@/server/http-api/api-route";
import { recordAudit } from "@/server/audit/audit-log";
import { parseQuery } from "@/server/http-api/query-params";
import { discardDeadLetter, discardQuerySchema, getDeadLetter } from "@/server/history/dead-letter-store";

export const dynamic = "force-dynamic";

/** One dead letter with its event, headers and every attempt. */
export const GET = apiRoute<{ id: string }>({ role: "viewer", scope: "read" }, async (_request, { params }) => jsonResponse(await getDeadLetter(db(), params.id)));

/**
 * Discards the dead letter (the event will not run in this flow). `?held=release` (default): the
 * events held behind it run, in order; `?held=discard`: they are dropped too. Later events of its key go on.
 */
export const DELETE = apiRoute<{ id: string }>({ role: "editor", scope: "full" }, async (request, { params, caller }) => {
  const { held } = parseQuery(request.url, discardQuerySchema);
  await discardDeadLetter(db(), params.id, { held, by: caller.actor.label });
  await recordAudit(db(), caller.actor, "deadLetter.discarded", { type: "deadLetter", id: params.id }, { held });
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
});
export const { POST, PUT, PATCH } = methodNotAllowed("GET", "DELETE");
