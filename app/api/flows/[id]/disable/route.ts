import { db } from "@/server/db/client";
import { jsonResponse } from "@/server/http-api/api-response";
import { apiRoute } from "@/server/http-api/api-route";
import { recordAudit } from "@/server/audit/audit-log";
import { setFlowEnabled } from "@/server/flows/flow-store";
import { notifyFlowsChanged } from "@/server/runtime/worker-notifier";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";

export const dynamic = "force-dynamic";

/** Disables the flow: its published version stops receiving events. */
export const POST = apiRoute<{ id: string }>({ role: "editor", scope: "full" }, async (_request, { params, caller }) => {
  await setFlowEnabled(db(), params.id, false);
  await recordAudit(db(), caller.actor, "flow.disabled", { type: "flow", id: params.id });
  void notifyFlowsChanged();
  const flow = await db().flow.findUniqueOrThrow({ where: { id: params.id }, select: { id: true, enabled: true, publishedVersion: true } });
  return jsonResponse(flow);
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed("POST");
