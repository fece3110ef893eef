import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { db } from "@/server/db/client";
import { jsonResponse } from "@/server/http-api/api-response";
import { apiRoute } from "@/server/http-api/api-route";
import { recordAudit } from "@/server/audit/audit-log";
import { discardDeadLetter, getDeadLetter } from "@/server/history/dead-letter-store";

export const dynamic = "force-dynamic";

/** One dead letter with its event, headers and every attempt. */
export const GET = apiRoute<{ id: string }>({ role: "viewer", scope: "read" }, async (_request, { params }) => jsonResponse(await getDeadLetter(db(), params.id)));

/** Discards the dead letter (the event will not run in this flow); later events of its key go on. */
export const DELETE = apiRoute<{ id: string }>({ role: "editor", scope: "full" }, async (_request, { params, caller }) => {
  await discardDeadLetter(db(), params.id);
  await recordAudit(db(), caller.actor, "deadLetter.discarded", { type: "deadLetter", id: params.id });
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
});
export const { POST, PUT, PATCH } = methodNotAllowed("GET", "DELETE");
