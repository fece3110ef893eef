import { db } from "@/server/db/client";
import { jsonResponse } from "@/server/http/api-response";
import { apiRoute } from "@/server/http/api-route";
import { recordAudit } from "@/server/audit/audit-log";
import { publishFlow } from "@/server/flows/flow-store";
import { notifyFlowsChanged } from "@/server/runtime/control";

export const dynamic = "force-dynamic";

/** Publishes the current draft as the next version; 422 with the problems when it has any. */
export const POST = apiRoute<{ id: string }>({ role: "editor", scope: "full" }, async (_request, { params, caller }) => {
  const { version } = await publishFlow(db(), params.id);
  await recordAudit(db(), caller.actor, "flow.published", { type: "flow", id: params.id }, { version });
  void notifyFlowsChanged();
  return jsonResponse({ id: params.id, version });
});
